/**
 * Version 2. Publication records each acknowledged blameless flag as a row of its own, where version 1
 * folded them all into the status change's one 2,000-character reason (a post-mortem with many flags could
 * not be published). And changes to a post-mortem's fields (tags, the review due date) are kept with who
 * and when, like section revisions and status changes.
 */
export const acknowledgements = `
CREATE TABLE firebreak_postmortems.acknowledgements (
  postmortem_id text NOT NULL,
  seq           integer NOT NULL,
  flag          text NOT NULL,
  section       text NOT NULL,
  line          integer NOT NULL,
  col           integer NOT NULL,
  phrase        text NOT NULL,
  reason        text NOT NULL,
  PRIMARY KEY (postmortem_id, seq, flag),
  FOREIGN KEY (postmortem_id, seq) REFERENCES firebreak_postmortems.status_changes (postmortem_id, seq)
);

CREATE TABLE firebreak_postmortems.field_changes (
  postmortem_id text NOT NULL REFERENCES firebreak_postmortems.postmortems (id),
  seq           integer NOT NULL,
  field         text NOT NULL,
  value         jsonb NOT NULL,
  actor         text NOT NULL,
  at            timestamptz NOT NULL,
  PRIMARY KEY (postmortem_id, seq)
);
`;
