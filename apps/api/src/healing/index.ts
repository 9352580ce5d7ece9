export { HealingModule } from './healing.module';
export { HEALING_JOB, type HealingTask, HealingService } from './healing.service';
