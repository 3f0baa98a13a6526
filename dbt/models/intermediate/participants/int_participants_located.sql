-- One row per participant and type it holds, placed in its KATO region (the current kato_regions
-- entry of the first two digits of its KATO code); the region columns are null when no current
-- entry exists for it.
with participants as (
    select * from {{ ref('stg_ops__participants') }}
),

regions as (
    {{ current_reference_entries('kato_regions') }}
),

participant_types as (
    -- distinct: a type listed twice in one participant's array counts once
    select distinct
        participant_bin,
        unnest(participant_types)::varchar(32) as participant_type
    from participants
)

select
    participants.participant_bin,
    participant_types.participant_type,
    participants.is_individual,
    participants.participant_state,
    participants.participant_state = 'ACTIVE' as is_active,
    participants.kato_code,
    (left(participants.kato_code, 2) || '0000000')::varchar(9) as region_kato_of_code,
    regions.entry_code is not null as is_region_known,
    regions.entry_code::varchar(9) as region_kato,
    regions.entry_name_kk as region_name_kk,
    regions.entry_name_ru as region_name_ru,
    regions.entry_name_en as region_name_en,
    {{ numeric_attribute('regions.entry_attributes', 'lat') }} as region_lat,
    {{ numeric_attribute('regions.entry_attributes', 'lon') }} as region_lon
from participants
inner join participant_types
    on participant_types.participant_bin = participants.participant_bin
left join regions
    on regions.entry_code = left(participants.kato_code, 2) || '0000000'
