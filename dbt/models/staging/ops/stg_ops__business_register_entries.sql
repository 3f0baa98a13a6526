with source as (
    select * from {{ source('ops', 'business_register_entry') }}
)

select
    bin::varchar(12) as business_bin,
    name_kk as business_name_kk,
    name_ru as business_name_ru,
    status as register_status,
    registration_date,
    kato as kato_code,
    import_id as register_import_id,
    updated_at
from source
