// Which page a path shows, as tables: the pages anyone may open, then those of a signed-in user
// (some only for administrators, one only while 2FA is off); any other path is the client area.
// What comes first: an application's sign-in request, then the signed-out pages, then sign-in
// for nobody signed in, then forced enrolment for a restricted session.
import type { ReactNode } from 'react';
import type { User } from '../../src/shared/api-types';
import { AccountPage } from './pages/AccountPage';
import { ApplicationsPage } from './pages/ApplicationsPage';
import { AuditPage } from './pages/AuditPage';
import { EnablePage } from './pages/EnablePage';
import { EnrolPage } from './pages/EnrolPage';
import { ForgotPasswordPage } from './pages/ForgotPasswordPage';
import { GroupsPage } from './pages/GroupsPage';
import { InteractionPage } from './pages/InteractionPage';
import { InvitationPage } from './pages/InvitationPage';
import { InvitationsPage } from './pages/InvitationsPage';
import { EmailChangeConfirmPage, EmailChangeUndoPage } from './pages/EmailChangePages';
import { ProvidersPage } from './pages/ProvidersPage';
import { RegisterPage } from './pages/RegisterPage';
import { ResetPasswordPage } from './pages/ResetPasswordPage';
import { SettingsPage } from './pages/SettingsPage';
import { SetupPage } from './pages/SetupPage';
import { SignInPage } from './pages/SignInPage';
import { StepUpPage } from './pages/StepUpPage';
import { UsersPage } from './pages/UsersPage';

/** What a page may need from the shell. */
export interface PageContext {
  /** The path with its query string (the client area starts afresh when it changes). */
  fullPath: string;
  /** Asks the server again who is signed in (after signing in, enrolling, a change of factors). */
  refresh: () => Promise<void>;
}

/** Pages for people who are not signed in: anyone may open them (signed in or not: `refresh` after a change to the account). */
const OPEN_PAGES = new Map<string, (context: PageContext) => ReactNode>([
  ['/forgot-password', () => <ForgotPasswordPage />],
  ['/reset-password', () => <ResetPasswordPage />],
  ['/setup', () => <SetupPage />],
  ['/invitation', () => <InvitationPage />],
  ['/email-change', ({ refresh }) => <EmailChangeConfirmPage onDone={refresh} />],
  ['/email-change/undo', ({ refresh }) => <EmailChangeUndoPage onDone={refresh} />],
  ['/register', () => <RegisterPage />],
]);

/** Where a signed-out visitor may stay; anywhere else sends them to the sign-in page. */
export const SIGNED_OUT_PAGES = ['/sign-in', ...OPEN_PAGES.keys()];

interface Route {
  path: string;
  /** Only for administrators (anyone else gets the client area). */
  admin?: boolean;
  /** Only while this holds for the user (otherwise the client area). */
  when?: (user: User) => boolean;
  page: (user: User, context: PageContext) => ReactNode;
}

const SIGNED_IN_ROUTES: Route[] = [
  { path: '/account/security/enable', when: (user) => !user.twoFactorEnabled, page: (_, { refresh }) => <EnablePage onEnabled={refresh} /> },
  { path: '/step-up', page: (user) => <StepUpPage user={user} /> },
  { path: '/admin/users', admin: true, page: (user) => <UsersPage me={user} /> },
  { path: '/admin/groups', admin: true, page: () => <GroupsPage /> },
  { path: '/admin/invitations', admin: true, page: () => <InvitationsPage /> },
  { path: '/admin/audit', admin: true, page: () => <AuditPage /> },
  { path: '/admin/settings', admin: true, page: (user) => <SettingsPage user={user} /> },
  { path: '/admin/applications', admin: true, page: () => <ApplicationsPage /> },
  { path: '/admin/providers', admin: true, page: () => <ProvidersPage /> },
];

/** An application's sign-in request (OpenID Connect): its id, when the path is its page. */
export function interactionOf(path: string): string | undefined {
  return /^\/interaction\/([\w-]+)$/.exec(path)?.[1];
}

/** The page for `path` (without its query); `user` undefined: not known yet, nothing to show. */
export function pageFor(path: string, user: User | null | undefined, context: PageContext): ReactNode {
  if (user === undefined) return null;
  const interaction = interactionOf(path);
  if (interaction) return <InteractionPage key={interaction} uid={interaction} onSignedIn={context.refresh} />;
  const open = OPEN_PAGES.get(path);
  if (open) return open(context);
  if (user === null) return <SignInPage onSignedIn={context.refresh} />;
  if (path === '/enrol' || user.restricted) return <EnrolPage user={user} onEnrolled={context.refresh} />;
  const route = SIGNED_IN_ROUTES.find((r) => r.path === path && (!r.admin || user.role === 'admin') && (r.when?.(user) ?? true));
  return route ? route.page(user, context) : <AccountPage key={context.fullPath} user={user} path={path} onChanged={context.refresh} />;
}
