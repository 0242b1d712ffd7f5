// A bare Fastify route answering a small JSON body: the floor a session check is compared with.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ user: { id: '00000000-0000-0000-0000-000000000000', email: 'bench@example.com', role: 'user', twoFactorEnabled: false } }));
await app.listen({ host: '127.0.0.1', port: Number(process.argv[2]) });
process.stdout.write('listening\n');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
