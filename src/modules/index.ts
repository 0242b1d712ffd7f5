// Every feature module, in the order their routes are registered. A new module adds one line here.
import type { GatehouseModule } from '../app-module.js';
import { signInModule } from './sign-in/index.js';
import { twoFactorModule } from './two-factor/index.js';
import { trustedDevicesModule } from './trusted-devices/index.js';
import { sessionsModule } from './sessions/index.js';
import { stepUpModule } from './step-up/index.js';
import { accountModule } from './account/index.js';
import { adminModule } from './admin/index.js';
import { auditModule } from './audit/index.js';
import { clockHealthModule } from './clock-health/index.js';
import { opsModule } from './ops/index.js';
import { accessModule } from './access/index.js';
import { forwardAuthModule } from './forward-auth/index.js';
import { oidcModule } from './oidc/index.js';
import { passwordResetModule } from './password-reset/index.js';
import { mailModule } from './mail/index.js';
import { directoryModule } from './directory/index.js';
import { onboardingModule } from './onboarding/index.js';
import { emailChangeModule } from './email-change/index.js';
import { upstreamModule } from './upstream/index.js';

export const MODULES: readonly GatehouseModule[] = [
  signInModule,
  twoFactorModule,
  trustedDevicesModule,
  sessionsModule,
  stepUpModule,
  accountModule,
  adminModule,
  auditModule,
  clockHealthModule,
  opsModule,
  accessModule,
  forwardAuthModule,
  oidcModule,
  passwordResetModule,
  mailModule,
  directoryModule,
  onboardingModule,
  emailChangeModule,
  upstreamModule,
];
