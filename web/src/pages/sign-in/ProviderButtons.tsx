// Sign-in: one "Sign in with …" per provider an administrator enabled (GET /api/upstream/providers),
// each a plain link to /api/upstream/<id>/start: a full navigation, since the server answers with a
// redirect to the provider. The logo is the data: URL the administrator uploaded, never an image
// from elsewhere. The provider's round trip comes back where this sign-in was for: an application's
// sign-in request (/interaction/<uid>, the same page, which then carries on), or /?rd=… when forward
// auth sent the person here with ?rd= (the page sends them on as after a password).
import { useTranslation } from 'react-i18next';
import type { UpstreamProviderSummary } from '../../../../src/shared/api-types';
import { api } from '../../api';
import { useLoad } from '../../use-load';

/** Where the provider's sign-in comes back to, if anywhere but the client area. */
function returnTo(): string | null {
  const { pathname, search } = window.location;
  if (/^\/interaction\/[\w-]+$/.test(pathname)) return pathname;
  const rd = new URLSearchParams(search).get('rd');
  return rd ? `/?rd=${encodeURIComponent(rd)}` : null;
}

function startUrl(id: string): string {
  const back = returnTo();
  return `/api/upstream/${encodeURIComponent(id)}/start${back ? `?returnTo=${encodeURIComponent(back)}` : ''}`;
}

export function ProviderButtons() {
  const { t } = useTranslation();
  // No list (none enabled, or the call failed): the page is the password sign-in alone.
  const providers = useLoad(() => api<UpstreamProviderSummary[]>('GET', '/api/upstream/providers'));
  if (!providers.data?.length) return null;
  return (
    <ul className="providers" aria-label={t('upstream.otherWays')}>
      {providers.data.map((p) => (
        <li key={p.id}>
          <a className="button-link provider" href={startUrl(p.id)} data-provider={p.id}>
            {/* Only an uploaded data: URL: a remote address would tell a third party who opens this page. */}
            {p.logo?.startsWith('data:image/') && <img src={p.logo} alt="" width={20} height={20} />}
            {t('upstream.signInWith', { name: p.name })}
          </a>
        </li>
      ))}
    </ul>
  );
}
