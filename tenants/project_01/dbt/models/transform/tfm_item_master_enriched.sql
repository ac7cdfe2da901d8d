-- transform: item master enriched with a priority category and a manufactured flag.

with staged as (
    select * from {{ ref('stg_cfg_item_master') }}
),

enriched as (
    select
        *,
        case
            when item_priority >= 8 then 'HIGH'
            when item_priority >= 4 then 'MEDIUM'
            else 'LOW'
        end as priority_category,
        item_type = 'MANUFACTURED' as is_manufactured,
        current_timestamp as dbt_loaded_at
    from staged
)

select * from enriched
