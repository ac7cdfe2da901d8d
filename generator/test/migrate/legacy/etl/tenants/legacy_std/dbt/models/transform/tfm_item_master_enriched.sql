-- Items with a priority band and a manufactured flag.
select
    *,
    case
        when item_priority >= 8 then 'HIGH'
        when item_priority >= 4 then 'MEDIUM'
        else 'LOW'
    end as priority_category,
    (prod_type is not null and prod_type <> '') as is_manufactured
from {{ ref('stg_cfg_item_master') }}
