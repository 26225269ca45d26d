/**
 * A random RFC 4122 version-4 UUID. Every tracker event carries one so that a
 * retried or re-sent batch is deduplicated by the server instead of double counted.
 * getRandomValues only: randomUUID is missing outside secure contexts, and one path is smaller.
 */
export const uuid = (): string =>
  // 0 and 1 become random hex digits, 8 one of 8 9 a b (the variant); 4 is the version.
  // The template is '10000000-1000-4000-8000-100000000000', written the short way.
  (([1e7] as unknown as string) + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, (c) =>
    (+c ^ (crypto.getRandomValues(new Uint8Array(1))[0]! & (15 >> (+c / 4)))).toString(16),
  );
