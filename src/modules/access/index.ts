// The access module's public face (who may go where): the only file of it that other modules
// import (src/architecture.test.ts checks). Everything else in this folder is private to it.
export { accessModule } from './access.module.js';
export { AccessPolicy } from './access-policy.service.js';
export type { Answer, Asker } from './access-policy.service.js';
export { AccessRulesService } from './access-rules.service.js';
export type { NewRule } from './access-rules.service.js';
export { directoryGroupName, GroupsService } from './groups.service.js';
// For a change made elsewhere that alters who may go where (a deleted account's memberships and rule
// entries go by cascade): bumped in the caller's transaction, every instance reloads.
export { bumpVersion as bumpAccessVersion } from './access.repository.js';
export type { Decision } from './policy.js';
