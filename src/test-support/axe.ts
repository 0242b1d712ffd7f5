// axe-core on a page as it is now, at a desktop and a phone width, and in both languages through
// the header's En / Es switch: any violation fails, named with the state, width and element.
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

export const AXE_VIEWPORTS = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
] as const;

export async function checkAxe(page: Page, state: string): Promise<void> {
  const found: string[] = [];
  for (const viewport of AXE_VIEWPORTS) {
    await page.setViewportSize(viewport);
    const result = await new AxeBuilder({ page }).analyze();
    for (const v of result.violations) found.push(`${state} at ${viewport.width}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  }
  await page.setViewportSize(AXE_VIEWPORTS[0]);
  assert.deepEqual(found, []);
}

/** In English, then in Spanish once `spanish` shows (the page re-rendered), then back to English. */
export async function checkAxeInBothLanguages(page: Page, state: string, spanish: string): Promise<void> {
  await checkAxe(page, `${state} (en)`);
  await page.getByRole('button', { name: 'Es', exact: true }).click();
  await page.locator('html[lang="es"]').waitFor({ state: 'attached' });
  await page.getByText(spanish).first().waitFor();
  await checkAxe(page, `${state} (es)`);
  await page.getByRole('button', { name: 'En', exact: true }).click();
  await page.locator('html[lang="en"]').waitFor({ state: 'attached' });
}
