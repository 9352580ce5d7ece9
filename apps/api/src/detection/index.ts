/** What other features use of detection (auth's sign-in and token checks, stats and health reads). */
export { AuthRouteThrottle } from './throttle/client-throttler.guard';
export { ANSWER_HEADERS, type AnswerHeaders, CLIENT_KEY, clientKeyOf, COUNTED_BY_GATEWAY, markUnattributed } from './client-key';
export { ClientGate, EARLY_REQUEST_ID, installEarlyGate } from './client-gate';
export { DETECTION_ENGINE } from './engine.provider';
export { refusalProblem } from './refusal';
export { DecisionService } from './decisions/decision.service';
export { DetectionModule } from './detection.module';
export { DetectionService } from './detection.service';
export { LoginDefenseService } from './login-defense.service';
export { TokenMisuseService } from './token-misuse.service';
export { ClientQueryDto } from './admin-detection.dto';
