import { Injectable } from '@nestjs/common';

/**
 * Where the process is in its life. Set by main.ts on SIGTERM/SIGINT: readiness turns 503 while
 * the instance drains, so a load balancer stops sending before the listener closes.
 */
@Injectable()
export class Lifecycle {
  private drainingSince: number | null = null;

  startDraining(now = Date.now()): void {
    this.drainingSince ??= now;
  }

  get draining(): boolean {
    return this.drainingSince !== null;
  }
}
