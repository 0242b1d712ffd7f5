// The API client: JSON in, JSON out, errors as ApiError with the server's code.
// The shapes it answers with are in src/shared/api-types.ts (one definition for both sides).
import type { ApiErrorBody } from '../../src/shared/api-types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Partial: an answer from something in front of the server (a proxy's 502) may carry none of it. */
    readonly body: Partial<ApiErrorBody>,
  ) {
    super(message);
  }
}

/**
 * Step-up: sensitive calls answer 403 reauthentication_required until the session re-authenticated
 * in the last 10 minutes. The shell registers a prompt (the StepUpDialog); the call that needed it is
 * then made again, so the user carries on with what they were doing. Null: nobody to ask.
 */
let stepUpPrompt: StepUpPrompt | null = null;

/** Asks for the step-up; answers null when cancelled. `offer.code`: a code from the app already typed for the call. */
export type StepUpPrompt = (offer: { code?: string }) => Promise<StepUpDone | null>;
/** A step-up made: `withAppCode` when it spent a code from the app (the server keeps that proof for the session). */
export interface StepUpDone {
  withAppCode: boolean;
}

export function setStepUpPrompt(prompt: StepUpPrompt | null): void {
  stepUpPrompt = prompt;
}

export interface CallOptions {
  /** A code from the app the user typed for this call: the step-up dialog offers it, so it is typed once. */
  stepUpCode?: string;
  /** The call again after a step-up that spent a code from the app: that step-up stands for the code (issue 36). */
  bodyAfterAppStepUp?: unknown;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
  try {
    return await request<T>(method, path, body);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'reauthentication_required' && stepUpPrompt) {
      const done = await stepUpPrompt({ code: options.stepUpCode });
      if (done) return request<T>(method, path, done.withAppCode && 'bodyAfterAppStepUp' in options ? options.bodyAfterAppStepUp : body);
    }
    throw error;
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok)
    throw new ApiError(response.status, String(data.error ?? 'internal'), String(data.message ?? response.statusText), data as Partial<ApiErrorBody>);
  return data as T;
}
