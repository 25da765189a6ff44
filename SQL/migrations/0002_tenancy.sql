-- 0002: tenants, stores, users, roles, groups, sessions and the audit log, with row-level security.
--
-- Who is who in the database:
--   * the schema owner (the role running this migration; `shoprecon_owner` on the dev cluster)
--     owns every table, runs migrations and acts as the operator who hosts ShopRecon: it sees
--     all tenants through the `operator_all` policies below;
--   * `shoprecon_app` is the application role (no superuser, no BYPASSRLS). The CLI and the
--     daemons act for a tenant's user through it, and every row they touch is filtered by the
--     policies below. Deployments log in as `shoprecon_app` or as a role that is a member of it.
--
-- Context per transaction, set with SET LOCAL by the client (never set_config(), see
-- ARCHITECTURE.md §3 for why), read with missing_ok so that no context means no rows:
--   app.tenant_id   the tenant (bigint)
--   app.user_id     the acting user (bigint)
--   app.perms       comma-separated permission codes, computed once per transaction
--   app.all_stores  'on' when the user's grants cover every store of the tenant
--   app.stores      comma-separated store ids the user may see when app.all_stores is not 'on'
--   app.actor       who to name in the audit log ('user:alice', 'operator:ops', 'system:worker')

-- Roles are shared by every database of the cluster, so several databases may be migrated at
-- once (tests do): both steps tolerate another session doing the same thing concurrently.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shoprecon_app') THEN
        CREATE ROLE shoprecon_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
-- The owner may drop to the application role (SET LOCAL ROLE) for tenant sessions.
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'shoprecon_app', 'MEMBER') THEN
        EXECUTE format('GRANT shoprecon_app TO %I', current_user);
    END IF;
EXCEPTION WHEN unique_violation THEN
    NULL;
END
$$;
GRANT USAGE ON SCHEMA public TO shoprecon_app;

-- Helpers: the settings as typed values. Plain SQL, so the planner inlines them; policies still
-- wrap them in (SELECT ...) so they are evaluated once per statement, not once per row.
CREATE FUNCTION app_tenant_id() RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::bigint $$;
CREATE FUNCTION app_user_id() RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::bigint $$;
CREATE FUNCTION app_has_permission(p text) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(string_to_array(nullif(current_setting('app.perms', true), ''), ',') @> ARRAY[p], false) $$;
CREATE FUNCTION app_all_stores() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('app.all_stores', true) = 'on', false) $$;
CREATE FUNCTION app_store_ids() RETURNS bigint[] LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(string_to_array(nullif(current_setting('app.stores', true), ''), ',')::bigint[], '{}') $$;
CREATE FUNCTION app_actor() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(nullif(current_setting('app.actor', true), ''), 'db:' || session_user) $$;

-- Permission catalogue (global, not per tenant).
CREATE TABLE permissions (
    code        text PRIMARY KEY,
    description text NOT NULL
);
INSERT INTO permissions (code, description) VALUES
    ('order.view_basic',     'See order numbers, dates, status, SKUs and quantities'),
    ('order.view_financial', 'See order, payment, settlement and fee amounts'),
    ('order.view_contact',   'See buyer names, phone numbers and addresses'),
    ('order.edit',           'Change orders and imported records'),
    ('match.manual',         'Match and unmatch records by hand'),
    ('exception.resolve',    'Work on, resolve and write off exceptions'),
    ('exception.approve',    'Approve items that need a manager''s approval'),
    ('report.view',          'See reports'),
    ('report.export',        'Export reports to CSV, Excel and PDF'),
    ('import.run',           'Import files and run channel syncs'),
    ('recon.run',            'Run and close reconciliations'),
    ('user.manage',          'Manage users, groups and roles of the tenant'),
    ('settings.manage',      'Change tenant settings, stores, rules and mappings'),
    ('audit.view',           'Read the audit log');
GRANT SELECT ON permissions TO shoprecon_app;

-- Built-in roles, copied into every tenant when it is created.
CREATE TABLE builtin_roles (
    name        text PRIMARY KEY,
    description text NOT NULL,
    permissions text[] NOT NULL
);
INSERT INTO builtin_roles (name, description, permissions) VALUES
    ('owner', 'Everything, including users and settings',
     ARRAY(SELECT code FROM permissions ORDER BY code)),
    ('finance_manager', 'Finance work plus approvals and the audit log',
     ARRAY['order.view_basic','order.view_financial','order.view_contact','order.edit','match.manual',
           'exception.resolve','exception.approve','report.view','report.export','import.run','recon.run','audit.view']),
    ('finance', 'Imports, reconciliation, matching and exceptions',
     ARRAY['order.view_basic','order.view_financial','order.view_contact','order.edit','match.manual',
           'exception.resolve','report.view','report.export','import.run','recon.run']),
    ('sales', 'Basic order facts only: no amounts, no buyer contact data, no changes',
     ARRAY['order.view_basic']),
    ('auditor', 'Reads everything, changes nothing',
     ARRAY['order.view_basic','order.view_financial','order.view_contact','report.view','report.export','audit.view']);
GRANT SELECT ON builtin_roles TO shoprecon_app;

CREATE TABLE tenants (
    tenant_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    time_zone   text NOT NULL DEFAULT 'Asia/Shanghai',
    currency    char(3) NOT NULL DEFAULT 'CNY' CHECK (currency ~ '^[A-Z]{3}$'),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stores (
    tenant_id   bigint NOT NULL REFERENCES tenants,
    store_id    bigint GENERATED ALWAYS AS IDENTITY,
    code        text NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
    name        text NOT NULL,
    channel     text NOT NULL CHECK (channel IN ('taobao','tmall','jd','pinduoduo','douyin','own','shopify','amazon','other')),
    currency    char(3) NOT NULL DEFAULT 'CNY' CHECK (currency ~ '^[A-Z]{3}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, store_id),
    UNIQUE (tenant_id, code)
);

CREATE TABLE users (
    tenant_id       bigint NOT NULL REFERENCES tenants,
    user_id         bigint GENERATED ALWAYS AS IDENTITY,
    username        text NOT NULL CHECK (length(username) BETWEEN 1 AND 100),
    display_name    text NOT NULL DEFAULT '',
    email           text,
    password_hash   text,
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    failed_attempts integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    last_login_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE UNIQUE INDEX users_username ON users (tenant_id, lower(username));

CREATE TABLE roles (
    tenant_id   bigint NOT NULL REFERENCES tenants,
    role_id     bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CHECK (name ~ '^[a-z0-9_][a-z0-9_.-]{0,62}$'),
    description text NOT NULL DEFAULT '',
    builtin     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, role_id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE role_permissions (
    tenant_id   bigint NOT NULL,
    role_id     bigint NOT NULL,
    permission  text NOT NULL REFERENCES permissions,
    PRIMARY KEY (tenant_id, role_id, permission),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles ON DELETE CASCADE
);

CREATE TABLE user_roles (
    tenant_id   bigint NOT NULL,
    user_id     bigint NOT NULL,
    role_id     bigint NOT NULL,
    PRIMARY KEY (tenant_id, user_id, role_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles ON DELETE CASCADE
);

CREATE TABLE groups (
    tenant_id   bigint NOT NULL REFERENCES tenants,
    group_id    bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, group_id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE group_roles (
    tenant_id   bigint NOT NULL,
    group_id    bigint NOT NULL,
    role_id     bigint NOT NULL,
    PRIMARY KEY (tenant_id, group_id, role_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles ON DELETE CASCADE
);

-- A group with rows here is limited to those stores; a group without any covers all stores.
CREATE TABLE group_stores (
    tenant_id   bigint NOT NULL,
    group_id    bigint NOT NULL,
    store_id    bigint NOT NULL,
    PRIMARY KEY (tenant_id, group_id, store_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores ON DELETE CASCADE
);

CREATE TABLE memberships (
    tenant_id   bigint NOT NULL,
    group_id    bigint NOT NULL,
    user_id     bigint NOT NULL,
    PRIMARY KEY (tenant_id, group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE
);

CREATE TABLE sessions (
    tenant_id    bigint NOT NULL,
    session_id   bigint GENERATED ALWAYS AS IDENTITY,
    user_id      bigint NOT NULL,
    token_hash   bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, session_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE
);
-- Tokens are 32 random bytes, so their hashes are unique across tenants.
CREATE UNIQUE INDEX sessions_token ON sessions (token_hash);

CREATE TABLE audit_log (
    tenant_id   bigint NOT NULL REFERENCES tenants,
    audit_id    bigint GENERATED ALWAYS AS IDENTITY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text NOT NULL,
    user_id     bigint,
    action      text NOT NULL,
    target      text NOT NULL,
    before      jsonb,
    after       jsonb,
    PRIMARY KEY (tenant_id, audit_id)
);
CREATE INDEX audit_log_at ON audit_log (tenant_id, at);

-- Row-level security for one tenant table: the operator (schema owner) sees everything; the
-- application role sees its tenant's rows, needs `read_perm` (NULL: any user of the tenant) to
-- read and `write_perm` (NULL: nobody) to change, and with `store_column` only the stores in
-- its scope. Later migrations call this for every tenant table they create.
CREATE FUNCTION shoprecon_protect_tenant_table(tbl regclass, read_perm text, write_perm text,
                                               store_column text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    tenant_check text := 'tenant_id = (SELECT app_tenant_id())';
    store_check  text := '';
    read_check   text;
    write_check  text;
BEGIN
    IF store_column IS NOT NULL THEN
        store_check := format(' AND ((SELECT app_all_stores()) OR %I = ANY ((SELECT app_store_ids())::bigint[]))', store_column);
    END IF;
    read_check := tenant_check || store_check
        || CASE WHEN read_perm IS NULL THEN '' ELSE format(' AND (SELECT app_has_permission(%L))', read_perm) END;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY operator_all ON %s TO CURRENT_USER USING (true) WITH CHECK (true)', tbl);
    EXECUTE format('CREATE POLICY tenant_select ON %s FOR SELECT TO shoprecon_app USING (%s)', tbl, read_check);
    IF write_perm IS NOT NULL THEN
        write_check := tenant_check || store_check || format(' AND (SELECT app_has_permission(%L))', write_perm);
        EXECUTE format('CREATE POLICY tenant_insert ON %s FOR INSERT TO shoprecon_app WITH CHECK (%s)', tbl, write_check);
        EXECUTE format('CREATE POLICY tenant_update ON %s FOR UPDATE TO shoprecon_app USING (%s) WITH CHECK (%s)', tbl, write_check, write_check);
        EXECUTE format('CREATE POLICY tenant_delete ON %s FOR DELETE TO shoprecon_app USING (%s)', tbl, write_check);
    END IF;
END
$fn$;

-- Every change to a tenant table is written to the audit log by this trigger, in the same
-- transaction, naming the actor from the context. It runs as the owner, so the application
-- role needs no privileges on audit_log beyond reading it.
CREATE FUNCTION shoprecon_audit_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    old_full jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_full jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    old_row jsonb := old_full - 'password_hash';
    new_row jsonb := new_full - 'password_hash';
    row_id  jsonb := coalesce(new_row, old_row);
    ignored text[] := ARRAY['failed_attempts', 'locked_until', 'last_login_at', 'last_seen_at'];
    pw_changed boolean := TG_OP = 'UPDATE' AND (old_full ->> 'password_hash') IS DISTINCT FROM (new_full ->> 'password_hash');
BEGIN
    -- Changes made by other triggers (seeding a tenant, cascading deletes) follow from a change
    -- that is audited already.
    IF pg_trigger_depth() > 1 THEN
        RETURN NULL;
    END IF;
    -- Bookkeeping of logins is not a change anybody made; password changes are.
    IF TG_OP = 'UPDATE' AND (old_row - ignored) = (new_row - ignored) AND NOT pw_changed THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_log (tenant_id, actor, user_id, action, target, before, after)
    VALUES ((row_id ->> 'tenant_id')::bigint, app_actor(), app_user_id(),
            TG_TABLE_NAME || '.' || lower(TG_OP) || CASE WHEN pw_changed THEN '.password' ELSE '' END,
            TG_TABLE_NAME || ':' || coalesce(row_id ->> 'slug', row_id ->> 'username', row_id ->> 'code', row_id ->> 'name',
                                             (SELECT string_agg(value, '/' ORDER BY key) FROM jsonb_each_text(row_id) WHERE key LIKE '%\_id')),
            old_row, new_row);
    RETURN NULL;
END
$fn$;

SELECT shoprecon_protect_tenant_table('tenants', NULL, 'settings.manage');
SELECT shoprecon_protect_tenant_table('stores', NULL, 'settings.manage', 'store_id');
SELECT shoprecon_protect_tenant_table(t, NULL, 'user.manage')
FROM unnest(ARRAY['users', 'roles', 'role_permissions', 'user_roles', 'groups', 'group_roles',
                  'group_stores', 'memberships']::regclass[]) AS t;
SELECT shoprecon_protect_tenant_table('sessions', NULL, NULL);
SELECT shoprecon_protect_tenant_table('audit_log', 'audit.view', NULL);
-- A user sees only their own sessions.
DROP POLICY tenant_select ON sessions;
CREATE POLICY tenant_select ON sessions FOR SELECT TO shoprecon_app
    USING (tenant_id = (SELECT app_tenant_id()) AND user_id = (SELECT app_user_id()));

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenants', 'stores', 'users', 'roles', 'role_permissions', 'user_roles',
                             'groups', 'group_roles', 'group_stores', 'memberships'] LOOP
        EXECUTE format('CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION shoprecon_audit_change()', t);
    END LOOP;
END
$$;

-- A new tenant gets its own copy of the built-in roles.
CREATE FUNCTION shoprecon_seed_tenant() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
BEGIN
    WITH created AS (
        INSERT INTO roles (tenant_id, name, description, builtin)
        SELECT NEW.tenant_id, name, description, true FROM builtin_roles
        RETURNING role_id, name
    )
    INSERT INTO role_permissions (tenant_id, role_id, permission)
    SELECT NEW.tenant_id, c.role_id, unnest(b.permissions)
    FROM created c JOIN builtin_roles b USING (name);
    RETURN NULL;
END
$fn$;
CREATE TRIGGER seed AFTER INSERT ON tenants FOR EACH ROW EXECUTE FUNCTION shoprecon_seed_tenant();

-- Privileges of the application role. Row-level security decides which rows; these decide
-- which statements and columns at all. Password hashes and token hashes are never readable.
GRANT SELECT, UPDATE (name, time_zone, currency) ON tenants TO shoprecon_app;
GRANT SELECT, INSERT, UPDATE (name, currency) ON stores TO shoprecon_app;
GRANT SELECT (tenant_id, user_id, username, display_name, email, status, failed_attempts, locked_until,
              last_login_at, created_at),
      INSERT (tenant_id, username, display_name, email, password_hash, status),
      UPDATE (display_name, email, password_hash, status, failed_attempts, locked_until)
    ON users TO shoprecon_app;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON roles, role_permissions, user_roles, groups, group_roles, group_stores, memberships TO shoprecon_app;
GRANT SELECT (tenant_id, session_id, user_id, created_at, expires_at, last_seen_at, revoked_at) ON sessions TO shoprecon_app;
GRANT SELECT ON audit_log TO shoprecon_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO shoprecon_app;

-- Authentication. These run as the owner (they must find a user before any tenant context
-- exists) and expose only what their callers need.

-- Checks a password and opens a session. Failures are answered with a status, not an error, so
-- the failed-attempt count and the lock-out survive; 5 failures lock the user for 15 minutes.
CREATE FUNCTION auth_login(p_tenant text, p_username text, p_password text, p_ttl interval DEFAULT '12 hours')
RETURNS TABLE (status text, token text, expires_at timestamptz, locked_until timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    t tenants;
    u users;
    new_token text;
    attempts integer;
BEGIN
    SELECT * INTO t FROM tenants WHERE slug = p_tenant;
    IF FOUND THEN
        SELECT * INTO u FROM users WHERE users.tenant_id = t.tenant_id AND lower(username) = lower(p_username) FOR UPDATE;
    END IF;
    IF t.tenant_id IS NULL OR u.user_id IS NULL OR u.password_hash IS NULL THEN
        PERFORM crypt(p_password, gen_salt('bf', 12));  -- same cost whether or not the user exists
        RETURN QUERY SELECT 'invalid'::text, NULL::text, NULL::timestamptz, NULL::timestamptz;
        RETURN;
    END IF;
    IF t.status <> 'active' THEN
        RETURN QUERY SELECT 'tenant_suspended'::text, NULL::text, NULL::timestamptz, NULL::timestamptz;
        RETURN;
    END IF;
    IF u.status <> 'active' THEN
        RETURN QUERY SELECT 'disabled'::text, NULL::text, NULL::timestamptz, NULL::timestamptz;
        RETURN;
    END IF;
    IF u.locked_until IS NOT NULL AND u.locked_until > now() THEN
        RETURN QUERY SELECT 'locked'::text, NULL::text, NULL::timestamptz, u.locked_until;
        RETURN;
    END IF;
    IF crypt(p_password, u.password_hash) <> u.password_hash THEN
        attempts := CASE WHEN u.locked_until IS NOT NULL THEN 1 ELSE u.failed_attempts + 1 END;
        UPDATE users SET failed_attempts = attempts,
                         locked_until = CASE WHEN attempts >= 5 THEN now() + interval '15 minutes' END
        WHERE users.tenant_id = u.tenant_id AND user_id = u.user_id;
        INSERT INTO audit_log (tenant_id, actor, user_id, action, target, after)
        VALUES (u.tenant_id, 'user:' || u.username, u.user_id, 'session.login_failed', 'users:' || u.username,
                jsonb_build_object('failed_attempts', attempts, 'locked', attempts >= 5));
        IF attempts >= 5 THEN
            RETURN QUERY SELECT 'locked'::text, NULL::text, NULL::timestamptz, now() + interval '15 minutes';
        ELSE
            RETURN QUERY SELECT 'invalid'::text, NULL::text, NULL::timestamptz, NULL::timestamptz;
        END IF;
        RETURN;
    END IF;
    UPDATE users SET failed_attempts = 0, locked_until = NULL, last_login_at = now()
    WHERE users.tenant_id = u.tenant_id AND user_id = u.user_id;
    new_token := 'srt_' || encode(gen_random_bytes(32), 'hex');
    INSERT INTO sessions (tenant_id, user_id, token_hash, expires_at)
    VALUES (u.tenant_id, u.user_id, digest(new_token, 'sha256'), now() + p_ttl);
    INSERT INTO audit_log (tenant_id, actor, user_id, action, target)
    VALUES (u.tenant_id, 'user:' || u.username, u.user_id, 'session.login', 'users:' || u.username);
    RETURN QUERY SELECT 'ok'::text, new_token, now() + p_ttl, NULL::timestamptz;
END
$fn$;

-- Resolves a session token to the context of one transaction: tenant, user, effective
-- permissions (union of the user's roles and their groups' roles) and store scope (all stores
-- when any grant is unscoped, else the union of their groups' stores).
CREATE FUNCTION auth_session(p_token text)
RETURNS TABLE (tenant_id bigint, tenant_slug text, user_id bigint, username text,
               permissions text[], all_stores boolean, store_ids bigint[], expires_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    s sessions;
BEGIN
    SELECT x.* INTO s FROM sessions x
    JOIN users u ON u.tenant_id = x.tenant_id AND u.user_id = x.user_id AND u.status = 'active'
    JOIN tenants t ON t.tenant_id = x.tenant_id AND t.status = 'active'
    WHERE x.token_hash = digest(p_token, 'sha256') AND x.revoked_at IS NULL AND x.expires_at > now();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the session is invalid, expired or logged out'
            USING ERRCODE = '28000', HINT = 'log in again with `shoprecon login --tenant TENANT USER`';
    END IF;
    UPDATE sessions SET last_seen_at = now() WHERE sessions.tenant_id = s.tenant_id AND session_id = s.session_id;
    RETURN QUERY
    WITH grants AS (
        SELECT ur.role_id, NULL::bigint AS group_id FROM user_roles ur
        WHERE ur.tenant_id = s.tenant_id AND ur.user_id = s.user_id
        UNION
        SELECT gr.role_id, gr.group_id FROM memberships m
        JOIN group_roles gr ON gr.tenant_id = m.tenant_id AND gr.group_id = m.group_id
        WHERE m.tenant_id = s.tenant_id AND m.user_id = s.user_id
    )
    SELECT s.tenant_id, t.slug, s.user_id, u.username,
           coalesce((SELECT array_agg(DISTINCT rp.permission ORDER BY rp.permission) FROM grants g
                     JOIN role_permissions rp ON rp.tenant_id = s.tenant_id AND rp.role_id = g.role_id), '{}'),
           EXISTS (SELECT FROM grants g WHERE g.group_id IS NULL
                   OR NOT EXISTS (SELECT FROM group_stores gs WHERE gs.tenant_id = s.tenant_id AND gs.group_id = g.group_id)),
           coalesce((SELECT array_agg(DISTINCT gs.store_id ORDER BY gs.store_id) FROM grants g
                     JOIN group_stores gs ON gs.tenant_id = s.tenant_id AND gs.group_id = g.group_id), '{}'),
           s.expires_at
    FROM tenants t, users u
    WHERE t.tenant_id = s.tenant_id AND u.tenant_id = s.tenant_id AND u.user_id = s.user_id;
END
$fn$;

CREATE FUNCTION auth_logout(p_token text) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
    UPDATE sessions SET revoked_at = now()
    WHERE token_hash = digest(p_token, 'sha256') AND revoked_at IS NULL
    RETURNING true
$fn$;

-- A user changes their own password: the session proves who they are, the current password
-- that it is really them at the keyboard. Wrong current passwords count towards the lock-out,
-- as at login, so a stolen token cannot be used to guess the password. Call it on its own, not
-- inside a transaction that a failure would roll back.
CREATE FUNCTION auth_change_password(p_token text, p_current text, p_new text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    u users;
    attempts integer;
BEGIN
    SELECT users.* INTO u FROM sessions s
    JOIN users ON users.tenant_id = s.tenant_id AND users.user_id = s.user_id AND users.status = 'active'
    JOIN tenants t ON t.tenant_id = s.tenant_id AND t.status = 'active'
    WHERE s.token_hash = digest(p_token, 'sha256') AND s.revoked_at IS NULL AND s.expires_at > now()
    FOR UPDATE OF users;
    IF NOT FOUND OR u.password_hash IS NULL THEN
        RETURN 'invalid_session';
    END IF;
    IF u.locked_until IS NOT NULL AND u.locked_until > now() THEN
        RETURN 'locked';
    END IF;
    IF crypt(p_current, u.password_hash) <> u.password_hash THEN
        attempts := CASE WHEN u.locked_until IS NOT NULL THEN 1 ELSE u.failed_attempts + 1 END;
        UPDATE users SET failed_attempts = attempts,
                         locked_until = CASE WHEN attempts >= 5 THEN now() + interval '15 minutes' END
        WHERE tenant_id = u.tenant_id AND user_id = u.user_id;
        INSERT INTO audit_log (tenant_id, actor, user_id, action, target, after)
        VALUES (u.tenant_id, 'user:' || u.username, u.user_id, 'users.password_change_failed', 'users:' || u.username,
                jsonb_build_object('failed_attempts', attempts, 'locked', attempts >= 5));
        RETURN CASE WHEN attempts >= 5 THEN 'locked' ELSE 'wrong_password' END;
    END IF;
    -- The audit trigger names the actor from this transaction's context.
    EXECUTE format('SET LOCAL app.actor = %L', 'user:' || u.username);
    EXECUTE format('SET LOCAL app.user_id = %L', u.user_id);
    UPDATE users SET password_hash = crypt(p_new, gen_salt('bf', 12)), failed_attempts = 0, locked_until = NULL
    WHERE tenant_id = u.tenant_id AND user_id = u.user_id;
    RETURN 'ok';
END
$fn$;

REVOKE ALL ON FUNCTION auth_login(text, text, text, interval), auth_session(text), auth_logout(text),
                       auth_change_password(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_login(text, text, text, interval), auth_session(text), auth_logout(text),
                          auth_change_password(text, text, text) TO shoprecon_app;
