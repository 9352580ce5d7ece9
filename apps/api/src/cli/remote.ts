import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type BouncerClient, createBouncerClient } from '@bouncer/api-client';
import { type PasswordResetResponse, type ProblemDetails, ROLES, type Role } from '@bouncer/contracts';
import { describeError } from '../db/query-errors';

/** Exit codes shared with the store commands (see EXIT in bouncer-cli.ts). */
export const REMOTE_EXIT = { ok: 0, failed: 1, usage: 2, nothing: 4, refused: 5 } as const;

export interface RemoteIo {
  out(line: string): void;
  err(line: string): void;
  /** Raw bytes to stdout (an export), without a line break added. */
  write?(chunk: string | Uint8Array): Promise<void>;
  /** The whole of stdin (a new password). */
  readStdin?(): Promise<string>;
}

interface ConnectionOptions {
  url?: string;
  token?: string;
  tokenFile?: string;
  json?: boolean;
}

/** A usage error found before anything is sent: exit 2. */
class UsageError extends Error {}

/** The server answered with an error: its status picks the exit code. */
class ServerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The commands that talk to a running server over its admin HTTP API (`--url`/BOUNCER_URL with an
 * admin token from --token-file, BOUNCER_TOKEN or --token). They change nothing the API would not:
 * the server validates, audits (as the token's admin) and tells the other instances.
 */
export function addRemoteCommands(
  program: Command,
  env: Record<string, string | undefined>,
  io: RemoteIo,
  setCode: (code: number) => void,
): void {
  const connected = (cmd: Command) =>
    cmd
      .addOption(new Option('--url <url>', "the running server's address (env: BOUNCER_URL; default http://127.0.0.1:PORT/)"))
      .addOption(new Option('--token-file <file>', 'a file holding an admin access token; must be mode 0600'))
      .addOption(
        new Option('--token <token>', 'an admin access token (visible to other users in ps: prefer BOUNCER_TOKEN or --token-file)'),
      )
      .option('--json', 'machine-readable output');

  /** Runs one remote command: the connection is resolved, errors become exit codes and one line on stderr. */
  const run =
    <O extends ConnectionOptions, A extends unknown[]>(
      name: string,
      work: (api: BouncerClient, opts: O, ...args: A) => Promise<number | void>,
    ) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const opts = cmd.optsWithGlobals<O>();
      try {
        const api = await connect(opts, env);
        setCode((await work(api, opts, ...(args.slice(0, -2) as A))) ?? REMOTE_EXIT.ok);
      } catch (err) {
        if (err instanceof UsageError) {
          io.err(`bouncer ${name}: ${err.message}`);
          setCode(REMOTE_EXIT.usage);
        } else if (err instanceof ServerError) {
          io.err(`bouncer ${name}: ${err.message}`);
          setCode(
            err.status === 401 || err.status === 403
              ? REMOTE_EXIT.refused
              : err.status === 404
                ? REMOTE_EXIT.nothing
                : err.status >= 400 && err.status < 500
                  ? REMOTE_EXIT.usage
                  : REMOTE_EXIT.failed,
          );
        } else {
          io.err(`bouncer ${name}: ${describeError(err)}`);
          setCode(REMOTE_EXIT.failed);
        }
      }
    };

  const show = (opts: ConnectionOptions, value: unknown, human: () => void) =>
    opts.json ? io.out(JSON.stringify(value, null, 2)) : human();

  connected(program.command('status'))
    .description('Health, readiness and counters of the running server.')
    .action(
      run('status', async (api, opts) => {
        const [live, readiness, stats] = await Promise.all([api.GET('/health'), api.GET('/health/ready'), api.GET('/admin/stats')]);
        const health = must(live);
        // Readiness answers 503 with its own body (unavailable, draining): shown, not an error.
        const ready = readiness.data ?? (readiness.response.status === 503 ? readiness.error : failed(readiness));
        const counters = must(stats);
        show(opts, { health, ready, stats: counters }, () => {
          io.out(`health: ${describeStatus(health)}`);
          io.out(`ready:  ${describeStatus(ready)}`);
          for (const [k, v] of Object.entries(counters)) io.out(`${k}: ${JSON.stringify(v)}`);
        });
        return ready?.status === 'ready' ? REMOTE_EXIT.ok : REMOTE_EXIT.failed;
      }),
    );

  // decisions
  const decisions = program.command('decisions').description('Blocked and suspicious clients on the running server.');
  connected(decisions.command('list'))
    .description('List standing decisions (one page; --page to go on).')
    .addOption(new Option('--state <state>', 'only this state').choices(['blocked', 'suspicious']))
    .option('--rule <rule>', 'only decisions made by this rule')
    .option('--client <client>', 'only this client (address or CIDR, as the server keys it)')
    .option('--page <n>', 'page number, from 1', positiveInt, 1)
    .option('--page-size <n>', 'decisions per page (at most 500)', positiveInt, 50)
    .action(
      run(
        'decisions list',
        async (api, opts: ConnectionOptions & { state?: string; rule?: string; client?: string; page: number; pageSize: number }) => {
          const state = opts.state as 'blocked' | 'suspicious' | undefined;
          const query = { page: opts.page, page_size: opts.pageSize, state, rule: opts.rule, client: opts.client };
          const page = must(await api.GET('/admin/decisions', { params: { query } }));
          const items = page.items;
          show(opts, { ...page, items }, () => {
            table(
              io,
              ['CLIENT', 'STATE', 'RULE', 'REASON', 'EXPIRES'],
              items.map((d) => [d.client, d.state, d.rule, d.reason, d.expires_at]),
            );
            const pages = Math.max(1, Math.ceil(page.total / page.page_size));
            io.out(`page ${page.page} of ${pages} (${page.total} decision${page.total === 1 ? '' : 's'})`);
          });
        },
      ),
    );
  connected(decisions.command('add'))
    .description('Block a client (an address or CIDR).')
    .argument('<client>', 'an address or CIDR')
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .option('--duration <seconds>', 'how long, in seconds', positiveInt, 3600)
    .action(
      run('decisions add', async (api, opts: ConnectionOptions & { reason: string; duration: number }, client: string) => {
        const body = { client, reason: opts.reason, duration_seconds: opts.duration };
        const d = must(await api.POST('/admin/blocks', { body }));
        show(opts, d, () => io.out(`Blocked ${d.client}${d.expires_at ? ` until ${d.expires_at}` : ''}.`));
      }),
    );
  connected(decisions.command('delete'))
    .description('Lift the block of a client.')
    .argument('<client>', 'an address or CIDR, as blocked')
    .action(
      run('decisions delete', async (api, opts, client: string) => {
        must(await api.DELETE('/admin/blocks', { params: { query: { client } } }));
        show(opts, { lifted: client }, () => io.out(`Lifted the block of ${client}.`));
      }),
    );

  // allow / deny lists
  for (const kind of ['allow', 'deny'] as const) {
    const list = program.command(kind).description(`The ${kind}list of the running server.`);
    connected(list.command('list'))
      .description(`List the ${kind}list.`)
      .action(
        run(`${kind} list`, async (api, opts) => {
          const entries = must(await api.GET('/admin/lists')).filter((e) => e.kind === kind);
          show(opts, entries, () =>
            table(
              io,
              ['CIDR', 'NOTE', 'BY'],
              entries.map((e) => [e.cidr, e.note, e.created_by]),
            ),
          );
        }),
      );
    connected(list.command('add'))
      .description(`Add an address or CIDR to the ${kind}list.`)
      .argument('<cidr>')
      .option('--note <text>', 'why', '')
      .action(
        run(`${kind} add`, async (api, opts: ConnectionOptions & { note: string }, cidr: string) => {
          const e = must(await api.POST('/admin/lists', { body: { kind, cidr, note: opts.note } }));
          show(opts, e, () => io.out(`${e.cidr} is on the ${kind}list.`));
        }),
      );
    connected(list.command('delete'))
      .description(`Remove an address or CIDR from the ${kind}list.`)
      .argument('<cidr>')
      .action(
        run(`${kind} delete`, async (api, opts, cidr: string) => {
          must(await api.DELETE('/admin/lists', { params: { query: { kind, cidr } } }));
          show(opts, { removed: cidr }, () => io.out(`${cidr} removed from the ${kind}list.`));
        }),
      );
  }

  // users
  const users = program.command('users').description('User accounts on the running server.');
  connected(users.command('list'))
    .description('List users.')
    .action(
      run('users list', async (api, opts) => {
        const rows = must(await api.GET('/admin/users'));
        show(opts, rows, () =>
          table(
            io,
            ['USERNAME', 'ROLE', 'DISABLED', 'MUST CHANGE PASSWORD'],
            rows.map((u) => [u.username, u.role, u.disabled ? 'yes' : 'no', u.must_change_password ? 'yes' : 'no']),
          ),
        );
      }),
    );
  connected(users.command('add'))
    .description('Create a user. The password is read from stdin (never from the command line, where ps shows it).')
    .argument('<username>')
    .addOption(new Option('--role <role>', 'its role').choices(ROLES).default('user'))
    .action(
      run('users add', async (api, opts: ConnectionOptions & { role: Role }, username: string) => {
        const password = (await (io.readStdin?.() ?? Promise.resolve(''))).replace(/\r?\n$/, '');
        if (!password) throw new UsageError('give the password on stdin');
        const u = must(await api.POST('/admin/users', { body: { username, password, role: opts.role } }));
        show(opts, u, () => io.out(`Created ${u.username} (${u.role}).`));
      }),
    );
  const patchUser = (name: string, description: string, body: (role?: Role) => { role?: Role; disabled?: boolean }, withRole = false) => {
    const cmd = connected(users.command(name)).description(description).argument('<username>');
    if (withRole) cmd.argument('<role>', ROLES.join(' or '));
    cmd.action(
      run(`users ${name}`, async (api, opts, username: string, role?: string) => {
        // The role is checked by the server (400 for anything but admin or user).
        const u = must(
          await api.PATCH('/admin/users/{username}', { params: { path: { username } }, body: body(role as Role | undefined) }),
        );
        show(opts, u, () => io.out(`${u.username}: role ${u.role}, ${u.disabled ? 'disabled' : 'enabled'}.`));
      }),
    );
  };
  patchUser('disable', 'Disable a user (its sessions end).', () => ({ disabled: true }));
  patchUser('enable', 'Enable a user again.', () => ({ disabled: false }));
  patchUser('set-role', "Change a user's role.", (role) => ({ role }), true);
  connected(users.command('reset-password'))
    .description(
      'Give a user a generated temporary password, printed once; their sessions end and they must change it at the next sign-in.',
    )
    .argument('<username>')
    .action(
      run('users reset-password', async (api, opts, username: string) => {
        const r: PasswordResetResponse = must(await api.POST('/admin/users/{username}/password-reset', { params: { path: { username } } }));
        show(opts, r, () => {
          io.out(`Temporary password of ${r.username}: ${r.temporary_password}`);
          io.out('Shown once. Their sessions ended; they must change it when they next sign in.');
        });
      }),
    );

  // audit
  const audit = program.command('audit').description('The audit log of the running server.');
  connected(audit.command('export'))
    .description('Stream every matching audit event, oldest first, to stdout or --output (no cap).')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--since <time>', 'ISO 8601: events at or after it')
    .option('--until <time>', 'ISO 8601: events before it')
    .option('--type <type>', 'an event type, or a prefix ending in a dot')
    .option('--actor <actor>', 'who acted')
    .option('--client <client>', 'an address or CIDR')
    .option('--output <file>', 'write to this file (0600) instead of stdout')
    .action(
      run(
        'audit export',
        async (
          api,
          opts: ConnectionOptions & {
            format: string;
            since?: string;
            until?: string;
            type?: string;
            actor?: string;
            client?: string;
            output?: string;
          },
        ) => {
          const { format, since, until, type, actor, client } = opts;
          const query = { format: format as 'jsonl' | 'csv', since, until, type, actor, client };
          const res = await api.GET('/admin/events/export', { params: { query }, parseAs: 'stream' });
          if (!res.data) return failed(res);
          const body = res.data as import('node:stream/web').ReadableStream<Uint8Array>;
          if (opts.output) {
            await pipeline(Readable.fromWeb(body), createWriteStream(opts.output, { mode: 0o600 }));
          } else {
            for await (const chunk of Readable.fromWeb(body))
              await (io.write ?? ((c) => Promise.resolve(io.out(String(c)))))(chunk as Uint8Array);
          }
        },
      ),
    );

  const rules = program.command('rules').description('Detection rules of the running server.');
  connected(rules.command('show'))
    .description('Print the rules in force, in the format RULES_FILE takes.')
    .action(
      run('rules show', async (api) => {
        io.out(JSON.stringify(must(await api.GET('/admin/rules')), null, 2));
      }),
    );
}

/** The token comes from --token-file (0600 only), BOUNCER_TOKEN, or --token, in that order. */
async function connect(opts: ConnectionOptions, env: Record<string, string | undefined>): Promise<BouncerClient> {
  let token = opts.token ?? env['BOUNCER_TOKEN'];
  if (opts.tokenFile) {
    let mode: number;
    try {
      mode = (await stat(opts.tokenFile)).mode;
    } catch (err) {
      throw new UsageError(`cannot read ${opts.tokenFile} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    // Anyone who can read the token is the admin: a file others can read is refused, as ssh does.
    if ((mode & 0o077) !== 0) {
      throw new UsageError(`${opts.tokenFile} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
    }
    token = (await readFile(opts.tokenFile, 'utf8')).trim();
  }
  if (!token) throw new UsageError('give an admin access token: --token-file FILE (mode 0600), BOUNCER_TOKEN, or --token');
  const raw = opts.url ?? env['BOUNCER_URL'] ?? `http://127.0.0.1:${env['PORT'] ?? 3000}/`;
  let base: URL;
  try {
    base = new URL(raw.endsWith('/') ? raw : `${raw}/`);
  } catch {
    throw new UsageError(`${raw} is not a URL`);
  }
  return createBouncerClient(base.href, {
    token,
    // Every request is bounded; an unreachable server is one clear line, not a stack.
    fetch: async (request) => {
      try {
        return await fetch(request, { signal: AbortSignal.timeout(30_000) });
      } catch (err) {
        throw new Error(`cannot reach the server at ${base.origin} (${describeError(err)})`);
      }
    },
  });
}

/** An answer of the typed client: its data, or a ServerError made from its problem+json. */
type Answer<T> = { data?: T; error?: unknown; response: Response };

function must<T>(answer: Answer<T>): T {
  if (answer.response.ok) return answer.data as T;
  return failed(answer);
}

/** The problem+json body of an error answer, when it is one. */
function problemIn(error: unknown): Partial<ProblemDetails> | null {
  return typeof error === 'object' ? error : null;
}

function failed(answer: Answer<unknown>): never {
  const status = answer.response.status;
  const problem = problemIn(answer.error);
  const fields = problem?.errors?.map((e) => `${e.field} ${e.message}`).join('; ');
  throw new ServerError(
    status,
    `the server answered ${status}${problem?.detail ? `: ${problem.detail}` : ''}${fields ? ` (${fields})` : ''}`,
  );
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number, 1 or more');
  return n;
}

function describeStatus(v: unknown): string {
  const o = (v ?? {}) as Record<string, unknown>;
  return typeof o['status'] === 'string' ? o['status'] : JSON.stringify(v);
}

/** Columns padded to their widest cell: for people; scripts use --json. */
function table(io: RemoteIo, head: string[], rows: string[][]): void {
  if (rows.length === 0) {
    io.out('(none)');
    return;
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const r of [head, ...rows])
    io.out(
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
}
