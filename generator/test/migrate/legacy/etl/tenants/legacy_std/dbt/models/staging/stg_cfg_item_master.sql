-- Item master with defaults for missing values (every project of the source).
select
    project_id,
    item_id,
    coalesce(item_type, 'UNKNOWN') as item_type,
    coalesce(item_name, '') as item_name,
    coalesce(item_priority, 0) as item_priority,
    prod_type
from {{ source('source_db', 'cfg_item_master') }}
