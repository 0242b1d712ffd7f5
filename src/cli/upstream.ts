// `gatehouse upstream add|list|remove` (issue 34): the upstream OpenID Connect providers, as the
// administrators' API manages them (discovery at once on add), audited as the command line's.
import { parseArgs } from 'node:util';
import type { Services } from '../services.js';
import { PROVIDER_PRESETS, type ProviderPreset, upstreamServices } from '../modules/upstream/index.js';

/** The button's name when --name is not given. */
const PRESET_NAMES: Partial<Record<ProviderPreset, string>> = { google: 'Google', entra: 'Microsoft', gitlab: 'GitLab', github: 'GitHub' };

export class UpstreamCommandError extends Error {}

export async function upstreamCommand(
  sub: string | undefined,
  args: string[],
  withServices: <T>(work: (s: Services) => Promise<T>) => Promise<T>,
  readSecret: () => Promise<string>,
  out: (text: string) => void,
): Promise<void> {
  switch (sub) {
    case 'add': {
      const { values } = parseArgs({
        args,
        options: {
          preset: { type: 'string' },
          issuer: { type: 'string' },
          tenant: { type: 'string' },
          'client-id': { type: 'string' },
          'client-secret-stdin': { type: 'boolean' },
          name: { type: 'string' },
          'trusted-mfa': { type: 'boolean' },
        },
        strict: true,
      });
      const preset = (values.preset ?? 'oidc') as ProviderPreset;
      if (!PROVIDER_PRESETS.includes(preset)) throw new UpstreamCommandError(`--preset is one of ${PROVIDER_PRESETS.join(', ')}`);
      if (preset === 'oidc' && !values.issuer) throw new UpstreamCommandError('--issuer URL is required (or a --preset: google, entra, gitlab, github)');
      if (preset === 'entra' && !values.tenant) throw new UpstreamCommandError('--tenant is required for Entra ID (the Directory (tenant) ID, a GUID)');
      if (values.issuer !== undefined && !URL.canParse(values.issuer)) throw new UpstreamCommandError(`--issuer is not a URL: ${values.issuer}`);
      if (!values['client-id']) throw new UpstreamCommandError('--client-id is required');
      if (!values['client-secret-stdin']) throw new UpstreamCommandError('--client-secret-stdin is required: pipe the client secret in');
      const clientSecret = (await readSecret()).trim();
      if (clientSecret === '') throw new UpstreamCommandError('the client secret from standard input is empty');
      const name = values.name ?? PRESET_NAMES[preset] ?? new URL(values.issuer!).hostname;
      const added = await withServices((s) =>
        upstreamServices(s).providers.add(
          {
            preset,
            name,
            ...(values.issuer === undefined ? {} : { issuer: values.issuer }),
            ...(values.tenant === undefined ? {} : { tenant: values.tenant }),
            clientId: values['client-id']!,
            clientSecret,
            trustedMfa: values['trusted-mfa'] ?? false,
          },
          'cli',
          null,
        ),
      );
      out(`${JSON.stringify(added)}\n`);
      return;
    }
    case 'list':
      parseArgs({ args, options: {}, strict: true });
      out(`${JSON.stringify(await withServices((s) => upstreamServices(s).providers.list()), null, 2)}\n`);
      return;
    case 'link': {
      const { values } = parseArgs({ args, options: { email: { type: 'string' }, id: { type: 'string' }, subject: { type: 'string' } }, strict: true });
      if (!values.email || !values.id || !values.subject)
        throw new UpstreamCommandError('--email, --id (the provider) and --subject (its sub for the person) are required');
      const link = await withServices(async (s) => {
        const user = await s.users.findByEmail(values.email!);
        if (!user) throw new UpstreamCommandError(`no account has the email ${values.email}`);
        return upstreamServices(s).providers.linkByAdmin(
          { userId: user.id, providerId: values.id!, subject: values.subject! },
          'cli',
          null,
          (trx, userId, provider) => s.mail.notify(trx, userId, { kind: 'upstream_linked', provider }),
        );
      });
      out(`Linked ${values.email} to ${link.providerName} (subject ${values.subject}).\n`);
      return;
    }
    case 'remove': {
      const { values } = parseArgs({ args, options: { id: { type: 'string' } }, strict: true });
      if (!values.id) throw new UpstreamCommandError('--id is required');
      await withServices((s) => upstreamServices(s).providers.remove(values.id!, 'cli', null));
      out(`Removed provider ${values.id} and every link to it.\n`);
      return;
    }
    default:
      throw new UpstreamCommandError(sub ? `unknown upstream command "${sub}"` : 'an upstream command is required (add, list, link, remove)');
  }
}
