// For administrators: a notice when a server's clock seems off (GET /api/admin/clock), before
// users find out by their codes failing. With several instances it names the one that is off.
// Nothing is shown while every clock is in line, or when the call fails.
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { useLoad } from '../use-load';
import type { ClockReport } from '../../../src/modules/clock-health/clock-report';

export function ClockNotice() {
  const { t } = useTranslation();
  const { data: report } = useLoad(() => api<ClockReport>('GET', '/api/admin/clock'));

  const off = report?.instances.filter((i) => i.skewed && i.errorSeconds !== null) ?? [];
  if (!report || off.length === 0) return null;
  const several = report.instances.length > 1;
  return (
    <>
      {off.map((instance) => {
        const seconds = Math.abs(instance.errorSeconds!);
        const way = instance.errorSeconds! > 0 ? 'Ahead' : 'Behind';
        return (
          <p key={instance.id} className="warning clock-notice">
            {several ? t(`clock.instance${way}`, { name: instance.name, seconds }) : t(`clock.server${way}`, { seconds })}
          </p>
        );
      })}
    </>
  );
}
