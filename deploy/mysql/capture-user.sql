-- MySQL 8.4 init (docker-compose): the reconciler's capture user with the least privilege it needs (the same as
-- docs/configuration.md#the-capture-user). Runs in both servers; each has one of the two databases. The traffic
-- generator writes as root. Demo passwords: change them for anything but a laptop.
CREATE USER IF NOT EXISTS 'reconciler'@'%' IDENTIFIED BY 'reconciler-demo-password';
-- Reading the binlog is global: it cannot be granted per database.
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'reconciler'@'%';
-- Reading rows (the snapshot) only in the flow databases. No RELOAD, LOCK TABLES or SHOW DATABASES: the snapshot
-- takes no locks.
GRANT SELECT ON orders.* TO 'reconciler'@'%';
GRANT SELECT ON inventory.* TO 'reconciler'@'%';
-- The heartbeat table only (sources[].heartbeatTable): created by the reconciler, one row updated every second.
GRANT CREATE, INSERT, UPDATE ON orders.reconciler_heartbeat TO 'reconciler'@'%';
GRANT CREATE, INSERT, UPDATE ON inventory.reconciler_heartbeat TO 'reconciler'@'%';
