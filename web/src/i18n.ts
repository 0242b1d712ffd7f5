// Languages: English (default, or the browser's) and Spanish, remembered across visits.
import i18next from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.json';
import es from './locales/es.json';

void i18next
  .use(LanguageDetector)
  .use(initReactI18next)
  .init({
    resources: { en: { translation: en }, es: { translation: es } },
    fallbackLng: 'en',
    supportedLngs: ['en', 'es'],
    nonExplicitSupportedLngs: true,
    interpolation: { escapeValue: false },
    detection: { order: ['localStorage', 'navigator'], caches: ['localStorage'], lookupLocalStorage: 'gatehouse.language' },
  });

const setDocumentLanguage = (lng: string | undefined) => {
  document.documentElement.lang = lng?.startsWith('es') ? 'es' : 'en';
};
setDocumentLanguage(i18next.resolvedLanguage);
i18next.on('languageChanged', setDocumentLanguage);

export default i18next;
