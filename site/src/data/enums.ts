// The lists SQL defines as enums (crm.segment, crm.project_role, crm.channel, crm.alert_kind,
// crm.alert_channel, crm.alert_op), for the dashboard's filters and forms. enums.test.ts fails when
// they drift from the database.

/** Site-user segments, in the order of crm.segment. */
export const SEGMENTS = ['visitor', 'user', 'premium', 'trial', 'churned'] as const;
export type Segment = (typeof SEGMENTS)[number];

/** Dashboard roles in rank order, as crm.project_role. */
export const ROLES = ['viewer', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/** Acquisition channels, in the order of crm.channel (the rules: crm.channel_of, API.md). */
export const CHANNELS = ['direct', 'organic_search', 'paid_search', 'social', 'email', 'ai_assistant', 'referral', 'other'] as const;
export type Channel = (typeof CHANNELS)[number];

/** What an alert rule watches, in the order of crm.alert_kind. */
export const ALERT_KINDS = ['event', 'stuck', 'segment_change', 'online_threshold', 'new_user'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Where an alert's firings go, in the order of crm.alert_channel. */
export const ALERT_CHANNELS = ['dashboard', 'webhook', 'slack', 'email'] as const;
export type AlertChannelType = (typeof ALERT_CHANNELS)[number];

/** How an event rule compares a property, in the order of crm.alert_op. */
export const ALERT_OPS = ['eq', 'ne', 'lt', 'gt', 'contains'] as const;
export type AlertOp = (typeof ALERT_OPS)[number];
