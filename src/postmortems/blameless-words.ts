/**
 * The words the blameless check looks for: the one list (config `postmortems.blamelessWords` adds to it).
 * A post-mortem describes what the system allowed, not who erred: these phrases put the cause in a person.
 * Matched whole-word and case-insensitively; an apostrophe may be typed straight or curly.
 */

/** Phrases that blame whoever they are about, with the question that leads to a blameless rewrite. */
export const BLAME_PHRASES: readonly { phrase: string; instead: string }[] = [
  { phrase: 'human error', instead: 'what in the system made the error possible or likely?' },
  { phrase: 'operator error', instead: 'what in the system made the error possible or likely?' },
  { phrase: 'user error', instead: 'what in the system made the error possible or likely?' },
  { phrase: 'should have', instead: 'what would have made the right action the easy one?' },
  { phrase: "should've", instead: 'what would have made the right action the easy one?' },
  { phrase: 'should not have', instead: 'what allowed this action, and what would have stopped it?' },
  { phrase: "shouldn't have", instead: 'what allowed this action, and what would have stopped it?' },
  { phrase: 'forgot', instead: 'what reminder, check or automation was missing?' },
  { phrase: 'forgotten', instead: 'what reminder, check or automation was missing?' },
  { phrase: 'careless', instead: 'what made the careful path slow or hard?' },
  { phrase: 'carelessness', instead: 'what made the careful path slow or hard?' },
  { phrase: 'negligent', instead: 'what made the careful path slow or hard?' },
  { phrase: 'negligence', instead: 'what made the careful path slow or hard?' },
  { phrase: 'sloppy', instead: 'what made the careful path slow or hard?' },
  { phrase: 'lazy', instead: 'what made the careful path slow or hard?' },
  { phrase: 'incompetent', instead: 'what training, tooling or review was missing?' },
  { phrase: 'incompetence', instead: 'what training, tooling or review was missing?' },
  { phrase: 'blame', instead: 'describe the conditions, not who is to blame' },
  { phrase: 'blamed', instead: 'describe the conditions, not who is to blame' },
  { phrase: 'at fault', instead: 'describe the conditions, not who is at fault' },
  { phrase: 'fault of', instead: 'describe the conditions, not whose fault it was' },
  { phrase: 'their fault', instead: 'describe the conditions, not whose fault it was' },
  { phrase: 'his fault', instead: 'describe the conditions, not whose fault it was' },
  { phrase: 'her fault', instead: 'describe the conditions, not whose fault it was' },
  { phrase: "didn't bother", instead: 'what made the step easy to skip?' },
  { phrase: 'dropped the ball', instead: 'what hand-off or ownership was unclear?' },
  { phrase: 'messed up', instead: 'what in the system let the change go wrong?' },
  { phrase: 'screwed up', instead: 'what in the system let the change go wrong?' },
  { phrase: 'not paying attention', instead: 'what competed for attention, and what signal was missing?' },
  { phrase: "wasn't paying attention", instead: 'what competed for attention, and what signal was missing?' },
];

/**
 * Verbs and words that describe a failure. A sentence that names a person on the roster before one of
 * these is flagged: the person is the subject of a failure ("bob misconfigured the rule"), where a
 * blameless sentence has the system as its subject ("the rule allowed ...").
 */
export const FAILURE_WORDS: readonly string[] = [
  'broke',
  'broken',
  'caused',
  'deleted',
  'did not',
  "didn't",
  'error',
  'failed',
  'fault',
  'ignored',
  'misconfigured',
  'missed',
  'mistake',
  'mistakenly',
  'neglected',
  'overlooked',
  'skipped',
  'wrong',
  'wrongly',
];
