// Fails early, with the command that fixes it, when no system Chromium is installed.
import { findChromium } from './chromium.mjs';

const found = findChromium();
if (!found) {
  console.error(
    'No Chromium found for the browser tests.\n' +
      "Install Debian's package:  apt-get update && apt-get install -y chromium\n" +
      'or point CHROMIUM_PATH at a Chromium binary.',
  );
  process.exit(1);
}
