-- staging: cfg_item_master cleaned up (defaults for missing type, name and priority).

with source as (
    select * from {{ source('source_db', 'cfg_item_master') }}
),

cleaned as (
    select
        item_id,
        coalesce(item_type, 'UNKNOWN') as item_type,
        coalesce(item_name, '') as item_name,
        coalesce(priority, 0) as item_priority,
        lead_time,
        unit_cost,
        is_active,
        attributes,
        updated_at
    from source
)

select * from cleaned
