export { HealingModule } from './healing.module';
export { HealingService } from './healing.service';
