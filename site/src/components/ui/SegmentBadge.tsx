import { useT } from '../../i18n/i18n';
import { segmentLabelKey } from '../../lib/format';

export function SegmentBadge({ segment }: { segment: string | null }) {
  const t = useT();
  if (!segment) return <span className="muted">–</span>;
  const key = segmentLabelKey(segment);
  return (
    <span className={`badge seg-${segment.replace(/[^a-z0-9_-]/gi, '')}`} data-testid="segment-badge" data-segment={segment}>
      {key ? t(key) : segment}
    </span>
  );
}
