// Vite turns `import url from 'file?url'` into the served URL of that file, in dev and in a build.
declare module '*?url' {
  const url: string;
  export default url;
}
