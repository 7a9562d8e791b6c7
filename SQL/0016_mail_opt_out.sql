-- Every e-mail has an unsubscribe link (issue 12). Forum subscriptions end by their own codes
-- (0014); e-mails to people and accounts about their own business carry a one-click link that
-- stops further e-mails to the address (and confirmations of new subscriptions of it). The
-- secretariat can lift an opt-out when the reader asks for e-mails again.

-- An address that asked for no more e-mails from Agora (stored lower case).
CREATE TABLE mail_opt_out (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    address text NOT NULL UNIQUE CHECK (address = lower(address)),
    opted_out_at timestamptz NOT NULL DEFAULT now(),
    -- The order the secretariat's list pages by.
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE
);

-- The one-click codes of e-mails sent to people and accounts, kept only as SHA-256 hashes and
-- only for `expires_at`: one per e-mail, as the mail leaves.
CREATE TABLE mail_opt_out_code (
    code_hash bytea PRIMARY KEY CHECK (length(code_hash) = 32),
    address text NOT NULL CHECK (address = lower(address)),
    expires_at timestamptz NOT NULL
);
CREATE INDEX mail_opt_out_code_expiry ON mail_opt_out_code (expires_at);
-- Lifting an opt-out deletes its address's codes.
CREATE INDEX mail_opt_out_code_address ON mail_opt_out_code (address);

-- Finding the people and accounts of an address when it opts out: their waiting e-mails are
-- cancelled.
CREATE INDEX person_email_lower ON person (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX account_email_lower ON account (lower(email)) WHERE email IS NOT NULL;
