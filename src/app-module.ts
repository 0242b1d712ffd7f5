// What a feature module hands the app (Better Auth's plugin shape): its name and how it registers
// its routes and hooks, from the services the composition root built. src/modules/index.ts lists
// them, and buildApp registers each in that order: adding a module touches neither app.ts nor
// services.ts (a module whose services nobody else needs builds them in its own register()).
import type { FastifyInstance } from 'fastify';
import type { Services } from './services.js';

export interface GatehouseModule {
  readonly name: string;
  register(app: FastifyInstance, s: Services): void | Promise<void>;
}
