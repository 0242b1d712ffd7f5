// A sentence for the sign-in page after something signed this browser out on purpose (the account
// was deleted): left in sessionStorage by the page that did it, shown once. Not a query parameter,
// so nobody can send a link that makes the page say an account was deleted.
const KEY = 'gatehouse.signedOutNotice';

/** What the sign-in page may say (translated as signedOut.<notice>). */
export type SignedOutNotice = 'accountDeleted';

export function leaveSignedOutNotice(notice: SignedOutNotice): void {
  try {
    sessionStorage.setItem(KEY, notice);
  } catch {
    // storage refused (private mode): the page says nothing, the deletion stands
  }
}

/** The notice left for this page, once: it is gone after this call. */
export function takeSignedOutNotice(): SignedOutNotice | null {
  try {
    const notice = sessionStorage.getItem(KEY);
    sessionStorage.removeItem(KEY);
    return notice === 'accountDeleted' ? notice : null;
  } catch {
    return null;
  }
}
