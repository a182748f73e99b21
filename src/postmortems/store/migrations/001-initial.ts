/** Version 1: post-mortems, section revisions, status history, action items and their verification runs. */
export const initial = `
CREATE TABLE firebreak_postmortems.postmortems (
  id            text PRIMARY KEY,
  incident_id   text NOT NULL,
  title         text NOT NULL,
  runbook_id    text NOT NULL,
  severity      text NOT NULL,
  status        text NOT NULL,
  started_at    timestamptz NOT NULL,
  ended_at      timestamptz NOT NULL,
  outcome       text NOT NULL,
  facts         jsonb NOT NULL,
  people        jsonb NOT NULL,
  review_due_at timestamptz,
  tags          text[] NOT NULL,
  sections      jsonb NOT NULL,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  search        tsvector NOT NULL,
  -- One post-mortem per incident: concurrent drafts meet here, not in a check-then-insert.
  CONSTRAINT postmortems_incident_unique UNIQUE (incident_id)
);
CREATE INDEX postmortems_search ON firebreak_postmortems.postmortems USING gin (search);
CREATE INDEX postmortems_tags ON firebreak_postmortems.postmortems USING gin (tags);
CREATE INDEX postmortems_created ON firebreak_postmortems.postmortems (created_at DESC, id DESC);

CREATE TABLE firebreak_postmortems.section_revisions (
  postmortem_id text NOT NULL REFERENCES firebreak_postmortems.postmortems (id),
  section       text NOT NULL,
  revision      integer NOT NULL,
  body          text NOT NULL,
  author        text NOT NULL,
  at            timestamptz NOT NULL,
  PRIMARY KEY (postmortem_id, section, revision)
);

CREATE TABLE firebreak_postmortems.status_changes (
  postmortem_id text NOT NULL REFERENCES firebreak_postmortems.postmortems (id),
  seq           integer NOT NULL,
  from_status   text,
  to_status     text NOT NULL,
  actor         text NOT NULL,
  at            timestamptz NOT NULL,
  reason        text,
  PRIMARY KEY (postmortem_id, seq)
);

CREATE TABLE firebreak_postmortems.action_items (
  id            text PRIMARY KEY,
  postmortem_id text NOT NULL REFERENCES firebreak_postmortems.postmortems (id),
  title         text NOT NULL,
  owner         text NOT NULL,
  due_at        timestamptz,
  priority      text NOT NULL,
  status        text NOT NULL,
  status_reason text,
  tracker_url   text,
  verify        jsonb,
  version       integer NOT NULL,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_by    text NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX action_items_postmortem ON firebreak_postmortems.action_items (postmortem_id);
CREATE INDEX action_items_owner ON firebreak_postmortems.action_items (owner, status);

CREATE TABLE firebreak_postmortems.verification_runs (
  action_item_id text NOT NULL REFERENCES firebreak_postmortems.action_items (id),
  seq            integer NOT NULL,
  incident_id    text NOT NULL,
  result         text NOT NULL,
  at             timestamptz NOT NULL,
  PRIMARY KEY (action_item_id, seq)
);
`;
