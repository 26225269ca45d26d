// Sizes the server refuses above, as crm.event_limits() defines them in SQL (the one
// owner of every event rule). tracker/test/limits.test.ts fails when these drift from it.
// Lengths are characters; *_BYTES are bytes of the JSON text (as JSON.stringify writes it).
export const PATH = 2048;
export const TITLE = 512;
export const REFERRER = 2048;
export const UTM_VALUE = 256;
export const PROPS_BYTES = 4096;
export const METADATA_BYTES = 4096;
