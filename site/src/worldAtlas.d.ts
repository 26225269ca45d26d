// Vite's `?url` import of the atlas (the site serves the file itself; see WorldMapSvg.tsx).
declare module 'world-atlas/countries-110m.json?url' {
  const url: string;
  export default url;
}
