// Dates, times and numbers in the chosen language (Intl with i18next's language, never the
// browser's default locale): Spanish reads "6 dic 2026", English "Dec 6, 2026".
import i18next from 'i18next';

const locale = () => (i18next.resolvedLanguage === 'es' ? 'es-ES' : 'en-US');

export const formatDate = (value: string | number | Date) => new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(value));

export const formatDateTime = (value: string | number | Date) =>
  new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(value));

export const formatTime = (value: string | number | Date) => new Intl.DateTimeFormat(locale(), { timeStyle: 'medium' }).format(new Date(value));

export const formatNumber = (value: number) => new Intl.NumberFormat(locale()).format(value);
