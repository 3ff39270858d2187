/**
 * Agent state colours (ready green, reserved cyan, talking blue, wrap-up purple, paused amber,
 * lost red), dark enough for white text at 4.5:1 (WCAG AA) on a wallboard across the room.
 */
export const STATE_COLOURS: Record<string, string> = {
  ready: '#237804',
  reserved: '#006d75',
  talking: '#003eb3',
  wrap_up: '#531dab',
  paused: '#ad4e00',
  lost: '#a8071a',
  logged_out: '#595959',
};

export const CAMPAIGN_COLOURS: Record<string, string> = {
  running: '#237804',
  paused: '#ad4e00',
  draft: '#595959',
  scheduled: '#003eb3',
  finished: '#595959',
};
