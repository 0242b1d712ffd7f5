// Sign-in providers (administrators): what the add form asks for each preset, and the two inputs
// it turns into the API's shapes (the logo file as a data: URL, the group mapping's lines as an
// object). The server checks every part again (upstream.service.ts): these only catch early what
// it would refuse.

import type { ProviderPreset } from '../../src/shared/api-types';

export type { ProviderPreset };

interface PresetForm {
  /** The issuer field: required (any OIDC provider), optional (another address than the preset's own), or not asked. */
  issuer: 'required' | 'optional' | 'none';
  /** Its label and hint (upstream.admin.*), when asked. */
  issuerText?: { label: string; hint: string };
  /** Entra ID's directory (tenant). */
  tenant: boolean;
  /** The name the button gets unless the administrator types another. */
  name: string;
}

export const PRESETS: Record<ProviderPreset, PresetForm> = {
  oidc: { issuer: 'required', issuerText: { label: 'issuerLabel', hint: 'issuerHint' }, tenant: false, name: '' },
  google: { issuer: 'none', tenant: false, name: 'Google' },
  entra: { issuer: 'none', tenant: true, name: 'Microsoft' },
  gitlab: { issuer: 'optional', issuerText: { label: 'gitlabBase', hint: 'gitlabBaseHint' }, tenant: false, name: 'GitLab' },
  github: { issuer: 'optional', issuerText: { label: 'githubBase', hint: 'githubBaseHint' }, tenant: false, name: 'GitHub' },
};

export const PRESET_ORDER: readonly ProviderPreset[] = ['oidc', 'google', 'entra', 'gitlab', 'github'];

/** The images a logo may be, as the file input's accept list and the check after choosing. */
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/svg+xml', 'image/webp'] as const;
/** The file's size limit; its data: URL (4/3 of it in base64) stays under the server's 48 KB. */
export const LOGO_MAX_BYTES = 32 * 1024;

export type LogoProblem = { problem: 'logoType' } | { problem: 'logoSize'; size: number } | { problem: 'logoRead' };

/** The chosen file as a data: URL, or why it cannot be the logo. */
export function readLogo(file: File): Promise<{ logo: string } | LogoProblem> {
  if (!(LOGO_TYPES as readonly string[]).includes(file.type)) return Promise.resolve({ problem: 'logoType' });
  if (file.size > LOGO_MAX_BYTES) return Promise.resolve({ problem: 'logoSize', size: Math.ceil(file.size / 1024) });
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? { logo: reader.result } : { problem: 'logoRead' });
    reader.onerror = () => resolve({ problem: 'logoRead' });
    reader.readAsDataURL(file);
  });
}

/**
 * "upstream-value = local-group", one per line (empty lines skipped), as an object; or the first
 * line that is not so (1-based). Split at the last "=": an upstream value may hold one (an LDAP
 * DN such as cn=staff,ou=groups), a local group name never does.
 */
export function parseGroupMap(text: string): { map: Record<string, string> } | { badLine: number } {
  const map: Record<string, string> = {};
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const at = line.lastIndexOf('=');
    const upstream = line.slice(0, Math.max(at, 0)).trim();
    const local = line.slice(at + 1).trim();
    if (at < 0 || upstream === '' || local === '') return { badLine: index + 1 };
    map[upstream] = local;
  }
  return { map };
}
