-- Every move of a show's revision NOTIFYs boxoffice_programme with
-- '<show id> <revision>' (programmeChannel in postgres.go), whichever
-- statement moved it: a listening instance trusts its cached shows until
-- it hears this (show.go), and an instance of the release before 0006,
-- still running during a rolling upgrade, changes the programme with its
-- own statements, which NOTIFY boxoffice_changes alone.
--
-- BEFORE the row is written, so that within the statement that bumps it
-- (bump in programme.go, or the older release's) the notification comes
-- ahead of that statement's NOTIFY boxoffice_changes for the same
-- version: by the time an instance's watchers hear of the change, its
-- cached show is gone. PostgreSQL delivers it only if the transaction
-- commits.
CREATE FUNCTION boxoffice_programme_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('boxoffice_programme', NEW.id || ' ' || NEW.revision);
    RETURN NEW;
END
$$;

CREATE TRIGGER boxoffice_programme_notify
BEFORE UPDATE OF revision ON shows
FOR EACH ROW WHEN (NEW.revision IS DISTINCT FROM OLD.revision)
EXECUTE FUNCTION boxoffice_programme_notify();
