/** The services the HTTP layer calls; built once in app.ts. */
import type { AccountService } from '../services/accounts.js';
import type { AssignmentService } from '../services/assignment.js';
import type { AuthService } from '../services/auth.js';
import type { Context } from '../services/context.js';
import type { DeviceService } from '../services/devices.js';
import type { TelemetryService } from '../services/telemetry.js';
import type { TokenService } from '../services/tokens.js';
import type { UserService } from '../services/users.js';

export interface Services {
  ctx: Context;
  auth: AuthService;
  accounts: AccountService;
  users: UserService;
  tokens: TokenService;
  telemetry: TelemetryService;
  devices: DeviceService;
  /** The bulk "Process" (POST /v1/devices/assign). */
  assignment: AssignmentService;
}
