// The onboarding module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). First-run setup in the browser and invitations; everything else in this folder is private to it.
export { SETUP_LINK_MINUTES, SetupService } from './setup.service.js';
export { InvitationsService } from './invitations.service.js';
export { RegistrationService } from './registration.service.js';
export { onboardingModule } from './onboarding.module.js';
// An account that takes an email (an email change) ends the invitations still waiting for it.
export { revokePendingFor as revokePendingInvitationsFor } from './onboarding.repository.js';
