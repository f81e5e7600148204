// htm bound to Preact's h: tagged templates instead of JSX, so no build step is needed.
import { h } from "preact";
import htm from "htm";

export const html = htm.bind(h);
