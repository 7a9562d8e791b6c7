-- Notices delivered for real: the outbox gains delivery states, a lease fenced by the attempt number, a language, webhook and e-mail channels, forum subscriptions with double opt-in, and the trigger that wakes the schedulers.

-- The outbox. `public_id` is what the world sees: the webhook-id and the e-mail Message-ID.
-- A scheduler claims a due notice by moving it to `running`, raising `attempt` and taking a
-- lease (`locked_until`); it may complete or fail it only while `attempt` is still the one it
-- claimed, so a scheduler whose lease ran out cannot overwrite the attempt of another.
ALTER TABLE notice RENAME COLUMN due_at TO run_at;
ALTER TABLE notice RENAME COLUMN attempts TO attempt;
ALTER TABLE notice RENAME COLUMN status TO state;
ALTER TABLE notice DROP CONSTRAINT notice_status_check;
DROP INDEX notice_due;
UPDATE notice SET state = CASE state WHEN 'sending' THEN 'pending' WHEN 'sent' THEN 'done' WHEN 'failed' THEN 'dead' ELSE state END;
ALTER TABLE notice ADD CONSTRAINT notice_state_check
    CHECK (state IN ('pending', 'running', 'retry', 'dead', 'done', 'cancelled'));
ALTER TABLE notice ALTER COLUMN state SET DEFAULT 'pending';
ALTER TABLE notice
    ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    ADD COLUMN language text CHECK (language ~ '^[a-z]{2,3}$'),
    ADD COLUMN locked_until timestamptz,
    ADD COLUMN last_error text CHECK (length(last_error) <= 2000),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    -- An operator's retry counts attempts afresh from here; `attempt` itself only grows, since
    -- it fences every write about an attempt.
    ADD COLUMN attempt_base integer NOT NULL DEFAULT 0 CHECK (attempt_base >= 0),
    ADD CONSTRAINT notice_running_is_leased CHECK ((state = 'running') = (locked_until IS NOT NULL)),
    ADD CONSTRAINT notice_attempt_bounded CHECK (attempt BETWEEN 0 AND 10000);
ALTER TABLE notice RENAME COLUMN sent_at TO done_at;
UPDATE notice SET language = 'en' WHERE language IS NULL;
-- Claims read due work in run_at order; the partial index holds only what is still to do.
CREATE INDEX notice_due ON notice (run_at) WHERE state IN ('pending', 'retry', 'running');
CREATE INDEX notice_state_kind ON notice (state, kind, id);

-- Forum subscriptions: anyone by e-mail (nothing is sent until the address confirms), systems
-- by webhook with an account. The webhook secret signs every delivery, so it is kept as given
-- (it is shown once through the API); codes for confirming and unsubscribing are minted when an
-- e-mail is sent and kept only as hashes.
CREATE TABLE subscription (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    forum_id uuid NOT NULL REFERENCES forum (id),
    channel text NOT NULL CHECK (channel IN ('email', 'webhook')),
    address text CHECK (address ~ '^[^@\s<>]+@[^@\s<>]+$' AND length(address) <= 254),
    url text CHECK (url ~* '^https?://' AND length(url) <= 2000),
    CHECK ((channel = 'email') = (address IS NOT NULL)),
    CHECK ((channel = 'webhook') = (url IS NOT NULL)),
    language text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2,3}$'),
    owner_account uuid REFERENCES account (id) ON DELETE CASCADE,
    CHECK (channel <> 'webhook' OR owner_account IS NOT NULL),
    secret text CHECK (secret LIKE 'whsec_%'),
    CHECK ((channel = 'webhook') = (secret IS NOT NULL)),
    confirmed_at timestamptz,
    ended_at timestamptz,
    ended_because text CHECK (ended_because IN ('unsubscribed', 'gone', 'replaced')),
    CHECK ((ended_at IS NULL) = (ended_because IS NULL)),
    created_at timestamptz NOT NULL DEFAULT now()
);
-- One live e-mail subscription per address and forum: subscribing again is the same one.
CREATE UNIQUE INDEX subscription_one_address ON subscription (forum_id, lower(address))
    WHERE channel = 'email' AND ended_at IS NULL;
CREATE INDEX subscription_forum ON subscription (forum_id) WHERE ended_at IS NULL;
CREATE INDEX subscription_address ON subscription (lower(address)) WHERE channel = 'email';

CREATE TABLE subscription_code (
    code_hash bytea PRIMARY KEY CHECK (length(code_hash) = 32),
    subscription_id uuid NOT NULL REFERENCES subscription (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('confirm', 'unsubscribe')),
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscription_code_subscription ON subscription_code (subscription_id);

ALTER TABLE notice ADD COLUMN recipient_subscription uuid REFERENCES subscription (id);
ALTER TABLE notice DROP CONSTRAINT notice_check;
ALTER TABLE notice ADD CONSTRAINT notice_one_recipient
    CHECK (num_nonnulls(recipient_person, recipient_account, recipient_subscription) = 1);
ALTER TABLE notice DROP CONSTRAINT notice_channel_check;
ALTER TABLE notice ADD CONSTRAINT notice_channel_check CHECK (channel IN ('email', 'webhook'));
CREATE INDEX notice_subscription ON notice (recipient_subscription) WHERE recipient_subscription IS NOT NULL;

-- A notice's language and channel follow its recipient when the writer does not name them: a
-- person's first spoken language that has templates (English and French), a subscription's
-- own, else English. Every writer of the outbox gets this without repeating it.
CREATE FUNCTION notice_defaults() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.recipient_subscription IS NOT NULL THEN
        SELECT s.channel, coalesce(NEW.language, s.language) INTO NEW.channel, NEW.language
        FROM subscription s WHERE s.id = NEW.recipient_subscription;
    ELSIF NEW.language IS NULL AND NEW.recipient_person IS NOT NULL THEN
        SELECT l INTO NEW.language
        FROM person p, unnest(p.languages) WITH ORDINALITY AS u (l, i)
        WHERE p.id = NEW.recipient_person
          AND lower(l) IN ('en', 'fr', 'es', 'english', 'french', 'français', 'francais', 'spanish', 'español', 'espanol')
        ORDER BY i LIMIT 1;
        NEW.language := CASE lower(NEW.language) WHEN 'fr' THEN 'fr' WHEN 'french' THEN 'fr' WHEN 'français' THEN 'fr'
                                                 WHEN 'francais' THEN 'fr' WHEN 'es' THEN 'es' WHEN 'spanish' THEN 'es'
                                                 WHEN 'español' THEN 'es' WHEN 'espanol' THEN 'es' ELSE 'en' END;
    END IF;
    NEW.language := coalesce(NEW.language, 'en');
    RETURN NEW;
END $$;
CREATE TRIGGER notice_defaults BEFORE INSERT ON notice FOR EACH ROW EXECUTE FUNCTION notice_defaults();

-- New notices wake the schedulers (a hint only: they also poll). Once per statement that
-- inserted any, so a publish that writes a hundred notices sends one signal, and a statement
-- whose rows were all duplicates (ON CONFLICT DO NOTHING) sends none.
CREATE FUNCTION notice_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted) THEN
        PERFORM pg_notify('agora_notices', '');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER notice_announce AFTER INSERT ON notice REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notice_announce();

-- An invitation e-mailed again (a retried send) gets another code; every one stays valid until
-- the invitation is redeemed, voided or expires, so whichever copy of the e-mail the holder
-- keeps works. Kept as hashes, like every code.
CREATE TABLE account_invitation_delivery (
    code_hash bytea PRIMARY KEY CHECK (length(code_hash) = 32),
    invitation_id uuid NOT NULL REFERENCES account_invitation (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_invitation_delivery_invitation ON account_invitation_delivery (invitation_id);
INSERT INTO account_invitation_delivery (code_hash, invitation_id)
    SELECT delivery_code_hash, id FROM account_invitation WHERE delivery_code_hash IS NOT NULL;
ALTER TABLE account_invitation DROP COLUMN delivery_code_hash;
