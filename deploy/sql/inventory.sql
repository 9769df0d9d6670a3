-- The inventory flow (docs/domain.md): one row per inventory operation; identifier is the order id for the operations an
-- order drives (TRY_SALE, CONFIRM_SALE, CANCEL_SALE, FREEZE_INVENTORY, UNFREEZE_AND_SALE, ...). Run in the inventory
-- database (e.g. inventory).
CREATE TABLE IF NOT EXISTS collection_inventory_stream (
  id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  gmt_create         DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  gmt_modified       DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  collection_id      BIGINT          NOT NULL,
  changed_quantity   BIGINT          NOT NULL,
  price              DECIMAL(18,6)   NULL,
  quantity           BIGINT          NULL,
  saleable_inventory BIGINT          NULL,
  occupied_inventory BIGINT          NULL,
  state              VARCHAR(32)     NULL,
  stream_type        VARCHAR(128)    NOT NULL,
  identifier         VARCHAR(128)    NOT NULL,
  deleted            INT             NOT NULL DEFAULT 0,
  lock_version       INT             NOT NULL DEFAULT 0,
  extend_info        VARCHAR(512)    NULL,
  PRIMARY KEY (id),
  KEY idx_identifier (identifier),
  KEY idx_modified (gmt_modified)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
