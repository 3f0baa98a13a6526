with source as (
    select * from {{ source('ops', 'participant') }}
)

select
    bin::varchar(12) as participant_bin,
    is_individual,
    name_kk as participant_name_kk,
    name_ru as participant_name_ru,
    types as participant_types,
    state as participant_state,
    kato as kato_code,
    registered_at,
    updated_at
from source
