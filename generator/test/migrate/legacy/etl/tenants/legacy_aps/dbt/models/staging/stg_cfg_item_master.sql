-- Item master of this customer's project, with defaults for missing values.
select
    project_id,
    item_id,
    coalesce(item_type, 'UNKNOWN') as item_type,
    coalesce(item_name, '') as item_name,
    coalesce(item_priority, 0)::integer as item_priority,
    prod_type
from {{ source('source_db', 'cfg_item_master') }}
where project_id = 'EED70012-E49D-4BA5-AD05-870C338DF39A'
