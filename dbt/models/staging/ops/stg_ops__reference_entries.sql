-- Every version of every entry, 1:1 with ops.reference_entry; the current version is picked downstream.
with source as (
    select * from {{ source('ops', 'reference_entry') }}
)

select
    directory as directory_code,
    code as entry_code,
    version as entry_version,
    name_kk as entry_name_kk,
    name_ru as entry_name_ru,
    name_en as entry_name_en,
    attributes as entry_attributes,
    valid_from,
    valid_to
from source
