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
let stepUpPrompt: (() => Promise<boolean>) | null = null;
export function setStepUpPrompt(prompt: (() => Promise<boolean>) | null): void {
  stepUpPrompt = prompt;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  try {
    return await request<T>(method, path, body);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'reauthentication_required' && stepUpPrompt && (await stepUpPrompt())) {
      return request<T>(method, path, body);
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
