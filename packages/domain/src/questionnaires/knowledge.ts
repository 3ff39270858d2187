import { halfWidth } from '../text/index.ts';
import type { LocalText } from './types.ts';

/** A knowledge prompt (知识提示): when one of its keywords comes up, the agent is shown it. */
export interface KnowledgePrompt {
  keywords: readonly string[];
  title: LocalText;
  body: LocalText;
}

/** For matching: full-width letters and digits as half-width, lower case, runs of spaces as one. */
function fold(s: string): string {
  return halfWidth(s).toLowerCase().replace(/\s+/g, ' ');
}

/**
 * The prompts whose keywords appear in `text` (the agent's notes, or a line of a call's
 * transcript), in the project's order. Chinese has no spaces between words, so a keyword
 * matches anywhere in the text (退款 in 我要退款); letters compare without case or width.
 */
export function matchKnowledge<P extends KnowledgePrompt>(prompts: readonly P[], text: string): P[] {
  const t = fold(text);
  if (!t.trim()) return [];
  return prompts.filter((p) => p.keywords.some((k) => k.trim() !== '' && t.includes(fold(k.trim()))));
}
