// An application asked Gatehouse to sign someone in and oidc-provider needs a person: this decides
// what is still missing (sign in, the second step, enrolment in 2FA, consent) from the Gatehouse
// session, and hands the provider its result once nothing is. The pages are the React UI's.
//
// The interaction is found by its uid (from the page's address) rather than by oidc-provider's
// interaction cookie, whose path is the page's, not the API's. Finishing it is still bound to the
// browser that started it: the provider resumes only with its resume cookie (path-scoped, HttpOnly).
import { AppError } from '../../http/errors.js';
import type { InteractionDetails, InteractionRedirect } from '../../shared/api-types.js';
import type { RecordAudit } from '../audit/index.js';
import type { ResolvedSession, SessionsService, StartedSession } from '../sessions/index.js';
import { AMR_TWO_FACTOR } from '../../core/amr.js';
import { hashSessionToken } from '../../crypto/tokens.js';
import type { SignInService } from '../sign-in/index.js';
import type { TrustedDevicesService } from '../trusted-devices/index.js';
import type { OidcService } from './oidc.service.js';
import { ACR_MFA, ACR_PASSWORD, REAUTHENTICATE_SINCE, needsSecondFactor } from './handoff.js';

type Step = InteractionDetails['step'];

/** When the session last proved who it is: its sign-in, or a later step-up (a full re-authentication). */
const provedAt = (session: ResolvedSession, createdAt: number) => Math.max(createdAt, session.reauthenticatedAt ?? 0);
type ProviderInteraction = InstanceType<Awaited<ReturnType<OidcService['current']>>['Interaction']>;

export class InteractionsService {
  constructor(
    private readonly deps: { oidc: OidcService; signIn: SignInService; sessions: SessionsService; devices: TrustedDevicesService; audit: RecordAudit },
  ) {}

  private async load(uid: string) {
    const provider = await this.deps.oidc.current();
    const interaction = await provider.Interaction.find(uid);
    if (!interaction) throw new AppError('not_found', 'This sign-in request has expired. Go back to the application and start again.');
    const client = await provider.Client.find(String(interaction.params.client_id));
    if (!client) throw new AppError('not_found', 'This application no longer exists.');
    return { provider, interaction, client };
  }

  private async step(interaction: ProviderInteraction, client: Record<string, unknown>, session: ResolvedSession | null): Promise<Step> {
    if (!session || session.kind === 'pending') return 'sign_in';
    if (session.kind === 'restricted') return 'enrol';
    if (interaction.prompt.name === 'login') {
      const { amr, createdAt } = await this.deps.oidc.sessionFactors(session.tokenHash);
      // prompt=login or max_age: a proof made after the request came (provider.config.ts), the
      // step-up's password and code, before anything else; the session's cookie alone is not one.
      const since = (interaction.prompt.details as Record<string, unknown>)[REAUTHENTICATE_SINCE];
      if (typeof since === 'number' && provedAt(session, createdAt) < since) return 'reauthenticate';
      if (needsSecondFactor(client, interaction.params.acr_values) && !amr.includes('mfa')) return session.twoFactorEnabled ? 'second_factor' : 'enrol';
      return 'continue';
    }
    // Consent is asked of the person the provider signed in; anyone else signs in again.
    if (interaction.session?.accountId !== session.user.id) return 'sign_in';
    return client.gatehouse_trusted === true ? 'continue' : 'consent';
  }

  async details(uid: string, session: ResolvedSession | null): Promise<InteractionDetails> {
    const { interaction, client } = await this.load(uid);
    const step = await this.step(interaction, client as Record<string, unknown>, session);
    const loginHint = interaction.params.login_hint;
    return {
      application: { name: String(client.clientName ?? client.clientId) },
      scopes: String(interaction.params.scope ?? 'openid')
        .split(' ')
        .filter(Boolean),
      step,
      // The application's login_hint (OIDC Core §3.1.2.1) prefills the sign-in form's email.
      ...(typeof loginHint === 'string' && loginHint.length <= 320 ? { loginHint } : {}),
      ...(step === 'reauthenticate' && session ? { twoFactorEnabled: session.twoFactorEnabled } : {}),
    };
  }

  /** Finishes the interaction when nothing is missing (consent needs `approve`); answers where the browser goes. */
  async continue(uid: string, session: ResolvedSession, approve: boolean, address: string | null): Promise<InteractionRedirect> {
    const { provider, interaction, client } = await this.load(uid);
    const step = await this.step(interaction, client as Record<string, unknown>, session);
    if (step === 'sign_in') throw new AppError('unauthenticated');
    if (step === 'reauthenticate') throw new AppError('reauthentication_required');
    if (step === 'enrol' || step === 'second_factor')
      throw new AppError('two_factor_required', 'This application requires a second factor: complete the second step first.');
    // An application restricted to groups is not checked here but by the login prompt's
    // gatehouse_groups check (provider.config.ts), which runs when the provider resumes with this
    // result as on every later authorization: one place refuses both a new sign-in and a provider
    // session that would need no interaction.
    let result: Record<string, unknown>;
    if (interaction.prompt.name === 'login') {
      const { amr, createdAt } = await this.deps.oidc.sessionFactors(session.tokenHash);
      // auth_time is the last proof: the sign-in, or the re-authentication prompt=login or max_age asked.
      const ts = Math.floor(provedAt(session, createdAt) / 1000);
      result = { login: { accountId: session.user.id, amr, acr: amr.includes('mfa') ? ACR_MFA : ACR_PASSWORD, ts, remember: true } };
    } else if (interaction.prompt.name === 'consent') {
      if (step === 'consent' && !approve) throw new AppError('invalid_request', 'Allow or deny the application.');
      const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
      const grant = existing ?? new provider.Grant({ accountId: session.user.id, clientId: client.clientId });
      const details = interaction.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      // A first consent, or offline_access (a refresh token that outlives the session), from a
      // session that did not just sign in needs a step-up: a stolen cookie alone must not buy
      // lasting access (issue 28). The UI asks for it inline and retries.
      const lasting = existing === undefined || (details.missingOIDCScope ?? []).includes('offline_access');
      if (lasting && !(await this.freshlyProven(session))) throw new AppError('reauthentication_required');
      if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
      if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
      result = { consent: { grantId: await grant.save() } };
      if (step === 'consent') {
        const ref = { id: session.user.id, email: session.user.email };
        await this.deps.audit({
          kind: 'oidc.consented',
          actor: ref,
          subject: ref,
          address,
          details: { clientId: client.clientId, scope: interaction.params.scope ?? null },
        });
      }
    } else {
      throw new AppError('invalid_request', `Gatehouse does not handle the "${interaction.prompt.name}" prompt.`);
    }
    return { redirect: await this.finish(interaction, result) };
  }

  /** Signed in within the step-up window (the sign-in of this very authorization, usually), or stepped up in it. */
  private async freshlyProven(session: ResolvedSession): Promise<boolean> {
    if (this.deps.sessions.isSteppedUp(session)) return true;
    const { createdAt } = await this.deps.oidc.sessionFactors(session.tokenHash);
    return this.deps.sessions.isFresh(createdAt);
  }

  /** The person declined (or cancelled): the application hears access_denied. */
  async abort(uid: string): Promise<InteractionRedirect> {
    const { interaction } = await this.load(uid);
    return { redirect: await this.finish(interaction, { error: 'access_denied', error_description: 'End-User aborted interaction' }) };
  }

  /**
   * Step-up for an application that needs a second factor: the same second step as at sign-in
   * (attempt limits, audit), then a new session token that records both factors.
   */
  async secondFactor(
    uid: string,
    session: ResolvedSession,
    code: string,
    from: { address: string | null; userAgent: string | null; deviceToken: string | null },
  ): Promise<StartedSession> {
    await this.load(uid);
    if (!session.twoFactorEnabled) throw new AppError('not_enabled');
    // Counted on the browser's trusted device when it has one, exactly as the sign-in page's second step.
    const counterKey = await this.deps.devices.counterKey(session.user.id, from.deviceToken);
    await this.deps.signIn.secondFactorStep(session.user, code, from.address, counterKey);
    const started = await this.deps.sessions.start({
      userId: session.user.id,
      kind: 'full',
      address: from.address,
      amr: AMR_TWO_FACTOR,
      userAgent: from.userAgent,
    });
    // The same person's session goes on under a new token: applications it signed in stay signed in
    // (moved before the old one ends, so no back-channel logout is sent for it).
    await this.deps.oidc.sessionReplaced(session.tokenHash, hashSessionToken(started.token));
    await this.deps.sessions.end(session.tokenHash);
    return started;
  }

  private async finish(interaction: ProviderInteraction, result: Record<string, unknown>): Promise<string> {
    interaction.result = 'error' in result ? result : { ...interaction.lastSubmission, ...result };
    // exp is in the provider's own seconds (it reads the system clock): the remaining lifetime is kept.
    await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
    return interaction.returnTo;
  }
}
