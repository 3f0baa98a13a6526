-- Participants per KATO region and participant type, for the authority's map and tables.
-- Participants whose region is not a current kato_regions entry are counted under 000000000.
with located as (
    select * from {{ ref('int_participants_located') }}
)

select
    coalesce(region_kato, '000000000')::varchar(9) as region_kato,
    coalesce(region_name_kk, 'Белгісіз') as region_name_kk,
    coalesce(region_name_ru, 'Не определён') as region_name_ru,
    coalesce(region_name_en, 'Unknown') as region_name_en,
    region_lat,
    region_lon,
    participant_type,
    count(*)::bigint as participants_total,
    count(*) filter (where is_active)::bigint as participants_active
from located
group by 1, 2, 3, 4, 5, 6, 7
