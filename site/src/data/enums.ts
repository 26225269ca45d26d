// The lists SQL defines as enums (crm.segment, crm.project_role, crm.channel), for the dashboard's
// filters and forms. enums.test.ts fails when they drift from the database.

/** Site-user segments, in the order of crm.segment. */
export const SEGMENTS = ['visitor', 'user', 'premium', 'trial', 'churned'] as const;
export type Segment = (typeof SEGMENTS)[number];

/** Dashboard roles in rank order, as crm.project_role. */
export const ROLES = ['viewer', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/** Acquisition channels, in the order of crm.channel (the rules: crm.channel_of, API.md). */
export const CHANNELS = ['direct', 'organic_search', 'paid_search', 'social', 'email', 'ai_assistant', 'referral', 'other'] as const;
export type Channel = (typeof CHANNELS)[number];
