with source as (
    select * from {{ source('ops', 'reference_directory') }}
)

select
    code as directory_code,
    name_kk as directory_name_kk,
    name_ru as directory_name_ru,
    name_en as directory_name_en,
    version as directory_version,
    source_version,
    content_sha256,
    loaded_at
from source
